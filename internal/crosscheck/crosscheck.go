// Package crosscheck type-checks Go packages for another platform (macOS,
// Windows) on this Linux machine, cgo files included, so a Go error in a
// _darwin.go file or a wrong call into Wails or systray fails here instead
// of on a Mac.
//
// Why not `go vet` or `go build`: with CGO_ENABLED=1 for darwin both run the
// cgo tool, which needs a C compiler and the macOS SDK (Cocoa.h); with
// CGO_ENABLED=0 every cgo file (Wails' whole darwin frontend, systray,
// our own AppKit helpers) drops out of the build, so those packages do
// not compile at all and the files we most need checked are never read.
// Instead `go list` (which runs no compiler) says which files make up each
// package for the target and tags, and go/types checks them from source
// with FakeImportC: every C.name is accepted unchecked, everything Go is
// checked as the compiler would.
package crosscheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Target is one platform to check for.
type Target struct {
	GOOS, GOARCH string
	Tags         []string // build tags, as `go build -tags` takes them
}

func (t Target) String() string {
	return t.GOOS + "/" + t.GOARCH + " -tags " + strings.Join(t.Tags, ",")
}

// listed is the part of `go list -json` this package reads.
type listed struct {
	ImportPath string
	Name       string
	Dir        string
	Standard   bool
	GoFiles    []string
	CgoFiles   []string
	ImportMap  map[string]string
	Module     *struct{ Path, GoVersion string }
	Error      *struct{ Err string }
	DepOnly    bool
}

// Check type-checks the packages matched by patterns (run in dir) and
// everything they import, for target. It returns one line per error found
// in the matched packages ("file:line:col: message"); errors inside
// dependencies are not ours to fix and only the declarations we use from
// them matter, so their function bodies are skipped.
func Check(dir string, target Target, patterns ...string) ([]string, error) {
	pkgs, err := list(dir, target, patterns)
	if err != nil {
		return nil, err
	}
	sizes := types.SizesFor("gc", target.GOARCH)
	if sizes == nil {
		return nil, fmt.Errorf("crosscheck: unknown GOARCH %q", target.GOARCH)
	}
	fset := token.NewFileSet()
	checked := map[string]*types.Package{"unsafe": types.Unsafe}
	var problems []string
	// go list -deps prints every package after the packages it imports.
	for _, p := range pkgs {
		if p.ImportPath == "unsafe" {
			continue
		}
		ours := !p.DepOnly
		if p.Error != nil {
			if ours {
				problems = append(problems, p.ImportPath+": "+p.Error.Err)
			}
			continue
		}
		files, err := parse(fset, p, ours)
		if err != nil {
			if ours {
				problems = append(problems, err.Error())
			}
			continue
		}
		conf := types.Config{
			FakeImportC:      true,
			IgnoreFuncBodies: !ours,
			Sizes:            sizes,
			Importer:         importer{p.ImportMap, checked},
			Error: func(err error) {
				if ours {
					problems = append(problems, err.Error())
				}
			},
		}
		if p.Module != nil && p.Module.GoVersion != "" {
			conf.GoVersion = "go" + p.Module.GoVersion
		}
		tp, _ := conf.Check(p.ImportPath, fset, files, nil)
		checked[p.ImportPath] = tp
	}
	return problems, nil
}

func list(dir string, target Target, patterns []string) ([]listed, error) {
	args := append([]string{"list", "-e", "-deps", "-json=ImportPath,Name,Dir,Standard,GoFiles,CgoFiles,ImportMap,Module,Error,DepOnly",
		"-tags", strings.Join(target.Tags, ",")}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	// CGO_ENABLED=1 keeps the cgo files in the package; `go list` without
	// -compiled or -export never runs cgo or a C compiler. GOFLAGS is
	// cleared so the Linux build's tags (webkit2_41) do not leak in.
	cmd.Env = append(os.Environ(), "GOOS="+target.GOOS, "GOARCH="+target.GOARCH, "CGO_ENABLED=1", "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("crosscheck: go list for %s: %v: %s", target, err, stderr.Bytes())
	}
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("crosscheck: reading go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

func parse(fset *token.FileSet, p listed, ours bool) ([]*ast.File, error) {
	mode := parser.SkipObjectResolution
	if ours {
		mode |= parser.ParseComments // go/types reads //go:build lines for file versions
	}
	var files []*ast.File
	for _, name := range append(append([]string{}, p.GoFiles...), p.CgoFiles...) {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, mode)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// importer resolves an import path as the importing package sees it
// (ImportMap: vendored copies inside the standard library) to a package
// already checked; go list's order guarantees it was.
type importer struct {
	importMap map[string]string
	checked   map[string]*types.Package
}

func (im importer) Import(path string) (*types.Package, error) {
	if real, ok := im.importMap[path]; ok {
		path = real
	}
	if p := im.checked[path]; p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("crosscheck: %s was not loaded", path)
}
