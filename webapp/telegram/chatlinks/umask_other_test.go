//go:build !unix

package chatlinks_test

// setUmask: only Unix has a umask.
func setUmask(int) {}
