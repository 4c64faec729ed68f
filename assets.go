package main

import (
	"embed"
	"io/fs"
)

// The page: Vite builds it into frontend/dist/app (gitignored; make setup
// runs it). frontend/dist/placeholder is committed, so the embed pattern
// matches on a fresh clone and `go build ./...`, `go vet ./...` and
// `go test ./...` work before any make target; an app built that way shows
// a page saying to run make setup instead of failing to build.
//
//go:embed all:frontend/dist
var embedded embed.FS

const (
	builtPage       = "frontend/dist/app"
	placeholderPage = "frontend/dist/placeholder"
)

// pageAssets is what Wails serves: the built page if this binary has it,
// else the placeholder (built says which). Not an embed.FS, so a -tags dev
// build serves these files too instead of guessing a folder on disk.
func pageAssets(dist fs.FS) (page fs.FS, built bool) {
	dir := placeholderPage
	if _, err := fs.Stat(dist, builtPage+"/index.html"); err == nil {
		dir, built = builtPage, true
	}
	page, err := fs.Sub(dist, dir)
	if err != nil {
		panic(err) // a constant, valid path: cannot happen
	}
	return page, built
}
