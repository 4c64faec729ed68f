// Package logtest reads what a program under test wrote to its log file.
package logtest

import (
	"os"
	"strings"
)

// HasLine reports whether one line of the file at path holds every part
// (a missing file holds none).
func HasLine(path string, parts ...string) bool {
	b, _ := os.ReadFile(path)
	for _, line := range strings.Split(string(b), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}
