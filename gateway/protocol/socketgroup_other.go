//go:build !unix

package protocol

// socketGroup: files have no owning group here.
func socketGroup(string) string { return "" }
