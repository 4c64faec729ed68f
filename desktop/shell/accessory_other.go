//go:build !darwin

package shell

// AccessoryAtLaunch: only macOS has activation policies.
func AccessoryAtLaunch() {}

func setAccessory() {}
