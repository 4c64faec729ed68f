package main

import (
	"testing"

	"github.com/wailsapp/wails/v2/pkg/options/linux"
)

// The zero WebviewGpuPolicy is Always: an Options value must say Never, as
// Wails' own default without Options does (see linuxOptions).
func TestLinuxPageIsDrawnWithoutTheGPU(t *testing.T) {
	if p := linuxOptions().WebviewGpuPolicy; p != linux.WebviewGpuPolicyNever {
		t.Errorf("WebviewGpuPolicy %d; want WebviewGpuPolicyNever (%d)", p, linux.WebviewGpuPolicyNever)
	}
}
