package main

import (
	"testing"

	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"golang.org/x/mod/semver"
)

// The zero WebviewGpuPolicy is Always: an Options value must say Never, as
// Wails' own default without Options does (see linuxOptions).
func TestLinuxPageIsDrawnWithoutTheGPU(t *testing.T) {
	if p := linuxOptions().WebviewGpuPolicy; p != linux.WebviewGpuPolicyNever {
		t.Errorf("WebviewGpuPolicy %d; want WebviewGpuPolicyNever (%d)", p, linux.WebviewGpuPolicyNever)
	}
}

// The app's version is wails.json's, a release version the update check
// can compare.
func TestAppVersionIsWailsJSONs(t *testing.T) {
	if v := appVersion(); !semver.IsValid("v"+v) || semver.Canonical("v"+v) != "v"+v {
		t.Fatalf("appVersion %q is not x.y.z", v)
	}
}
