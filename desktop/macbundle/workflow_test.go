package macbundle_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/keboola/analyst-alerts/desktop/macbundle"
)

// The macOS workflow finds the bundle where `wails build` writes it: named
// after wails.json's "name", the executable after "outputfilename". (It
// once expected "Analyst Alerts.app", so its first check failed and every
// later step was skipped, on a Mac, where nobody here sees it.)
func TestWorkflowBundlePath(t *testing.T) {
	p, err := macbundle.LoadProject(root(t))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root(t), ".github", "workflows", "macos.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Env map[string]string `yaml:"env"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	env := wf.Jobs["build"].Env
	if want := "build/bin/" + p.BundleName(); env["APP"] != want {
		t.Errorf("macos.yml jobs.build.env.APP = %q, want %q (wails.json name)", env["APP"], want)
	}
	if env["EXE"] != p.OutputFilename {
		t.Errorf("macos.yml jobs.build.env.EXE = %q, want %q (wails.json outputfilename)", env["EXE"], p.OutputFilename)
	}
}
