//go:build !unix

package main

// keepSysmonAwake does nothing where the process cannot exec itself.
func keepSysmonAwake() {}
