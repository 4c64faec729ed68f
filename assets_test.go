package main

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// The placeholder is in every build (it is committed), and says what to do.
func TestPlaceholderPageIsEmbedded(t *testing.T) {
	b, err := fs.ReadFile(embedded, placeholderPage+"/index.html")
	if err != nil {
		t.Fatalf("the committed placeholder is not embedded: %v", err)
	}
	if !strings.Contains(string(b), "make setup") {
		t.Errorf("the placeholder does not say to run make setup:\n%s", b)
	}
}

func TestPageAssetsPrefersTheBuiltPage(t *testing.T) {
	placeholder := &fstest.MapFile{Data: []byte("run make setup")}
	dist := fstest.MapFS{placeholderPage + "/index.html": placeholder}
	page, built := pageAssets(dist)
	if b, _ := fs.ReadFile(page, "index.html"); built || string(b) != "run make setup" {
		t.Errorf("without a built page: built=%v index=%q; want the placeholder", built, b)
	}
	dist[builtPage+"/index.html"] = &fstest.MapFile{Data: []byte("the app")}
	dist[builtPage+"/assets/app.js"] = &fstest.MapFile{Data: []byte("js")}
	page, built = pageAssets(dist)
	if b, _ := fs.ReadFile(page, "index.html"); !built || string(b) != "the app" {
		t.Errorf("with a built page: built=%v index=%q; want the built page", built, b)
	}
	if _, err := fs.Stat(page, "assets/app.js"); err != nil {
		t.Errorf("the built page's assets are not served at their paths: %v", err)
	}
}
