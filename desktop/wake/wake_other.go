//go:build !linux && !windows && !(darwin && cgo)

package wake

// osSources: no events here (a macOS build without cgo, another OS); the
// fallback looks for everything.
func osSources(sourceEnv) covers { return covers{} }
