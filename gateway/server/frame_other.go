//go:build !unix

package server

import "syscall"

// writeNonBlocking takes nothing where there is no non-blocking write(2):
// every frame goes to a writer goroutine.
func writeNonBlocking(syscall.Conn, []byte) (int, error) { return 0, nil }
