//go:build !darwin

package shell

func setAccessory() {}
