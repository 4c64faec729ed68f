// Package macbundle reads what `wails build` turns into the macOS bundle
// (wails.json, build/darwin/Info.plist, the entitlements) the way Wails
// does, so tests on Linux can check the bundle a Mac would build.
package macbundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"text/template"

	"howett.net/plist"
)

// Project is the part of wails.json the bundle is made from (Wails'
// internal project.Project, v2.12.0).
type Project struct {
	Name           string `json:"name"`
	OutputFilename string `json:"outputfilename"`
	Info           Info   `json:"info"`
}

// Info is wails.json's "info", field for field as Wails reads it.
type Info struct {
	CompanyName    string     `json:"companyName"`
	ProductName    string     `json:"productName"`
	ProductVersion string     `json:"productVersion"`
	Copyright      *string    `json:"copyright"`
	Comments       *string    `json:"comments"`
	Protocols      []Protocol `json:"protocols"`
}

// Protocol is one URL scheme the app handles.
type Protocol struct {
	Scheme      string `json:"scheme"`
	Description string `json:"description"`
	Role        string `json:"role"`
}

// LoadProject reads root/wails.json with Wails' defaults filled in.
func LoadProject(root string) (*Project, error) {
	raw, err := os.ReadFile(filepath.Join(root, "wails.json"))
	if err != nil {
		return nil, err
	}
	var p Project
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("wails.json: %w", err)
	}
	// Wails' project.setDefaults.
	if p.OutputFilename == "" {
		p.OutputFilename = p.Name
	}
	if p.Info.ProductName == "" {
		p.Info.ProductName = p.Name
	}
	if p.Info.ProductVersion == "" {
		p.Info.ProductVersion = "1.0.0"
	}
	return &p, nil
}

// BundleName is the .app folder `wails build` writes into build/bin/: named
// after "name", not the product name (Wails' packager, v2.12.0).
func (p *Project) BundleName() string { return p.Name + ".app" }

// RenderInfoPlist renders build/darwin/Info.plist as Wails'
// buildassets.resolveProjectData does (a text/template over Name, Info
// and OutputFilename) and decodes the result.
func RenderInfoPlist(root string, p *Project) (map[string]any, error) {
	src, err := os.ReadFile(filepath.Join(root, "build", "darwin", "Info.plist"))
	if err != nil {
		return nil, err
	}
	tmpl, err := template.New("Info.plist").Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	data := struct {
		Name           string
		Info           Info
		OutputFilename string
	}{p.Name, p.Info, p.OutputFilename}
	if err := tmpl.Execute(&out, data); err != nil {
		return nil, err
	}
	return decode(out.Bytes())
}

// ReadEntitlements decodes build/darwin/entitlements.plist.
func ReadEntitlements(root string) (map[string]any, error) {
	raw, err := os.ReadFile(filepath.Join(root, "build", "darwin", "entitlements.plist"))
	if err != nil {
		return nil, err
	}
	return decode(raw)
}

func decode(raw []byte) (map[string]any, error) {
	var m map[string]any
	if _, err := plist.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("not a property list: %w", err)
	}
	return m, nil
}
