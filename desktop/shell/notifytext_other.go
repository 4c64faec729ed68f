//go:build !linux && !windows

package shell

func platformText(title, body string) (string, string) { return title, body }
