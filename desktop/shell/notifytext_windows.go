package shell

func platformText(title, body string) (string, string) {
	return defangToast(title), defangToast(body)
}
