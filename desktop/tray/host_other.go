//go:build !linux

package tray

// HostMissing: macOS's menu bar and Windows' notification area are always
// there.
func HostMissing() string { return "" }
