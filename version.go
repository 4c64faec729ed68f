package main

import (
	_ "embed"
	"encoding/json"
)

// wails.json's info.productVersion is the app's version, one definition for
// the installers, the bundle and the update check (desktop/app/update.go).
//
//go:embed wails.json
var wailsJSON []byte

// appVersion is this build's version: x.y.z from wails.json.
func appVersion() string {
	var w struct {
		Info struct {
			ProductVersion string `json:"productVersion"`
		} `json:"info"`
	}
	if err := json.Unmarshal(wailsJSON, &w); err != nil {
		panic("wails.json: " + err.Error()) // embedded at build time: a broken one fails every test
	}
	return w.Info.ProductVersion
}
