package shell

func platformText(title, body string) (string, string) { return windowsText(title, body) }
