// Package wininstaller checks the Windows installer that
// scripts/build-windows-installer.sh builds with makensis: what it writes to
// the registry (read from makensis's log of the compiled script, macros and
// defines expanded), and what the built setup.exe holds (opened with 7-Zip
// and Go's debug/pe). scripts/test.d/35-windows.sh builds it and runs this
// with ANALYST_WIN_SETUP and ANALYST_WIN_NSIS_LOG set.
package wininstaller

import (
	"bytes"
	"debug/pe"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

const exe = "analyst-alerts.exe"

// compiled is the install and the uninstall section of makensis's -V4 log.
type compiled struct{ head, install, uninstall []string }

func readLog(t *testing.T, path string) compiled {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c compiled
	part := &c.head
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case line == `Section: "Install"`:
			part = &c.install
		case line == `Section: "Uninstall"`:
			part = &c.uninstall
		case line == "SectionEnd":
			part = &c.head
		}
		*part = append(*part, line)
	}
	if len(c.install) == 0 || len(c.uninstall) == 0 {
		t.Fatalf("%s has no Install and Uninstall sections", path)
	}
	return c
}

// regWrites maps "ROOT\key\value" to the data the section writes there.
func regWrites(lines []string) map[string]string {
	w := map[string]string{}
	for _, l := range lines {
		for _, cmd := range []string{"WriteRegStr: ", "WriteRegDWORD: ", "WriteRegExpandStr: ", "WriteRegBin: "} {
			if rest, ok := strings.CutPrefix(l, cmd); ok {
				k, v, _ := strings.Cut(rest, "=")
				w[k] = v
			}
		}
	}
	return w
}

func wailsInfo(t *testing.T) (version, scheme string) {
	t.Helper()
	raw, err := os.ReadFile("../../../wails.json")
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		Info struct {
			ProductVersion string `json:"productVersion"`
			Protocols      []struct {
				Scheme string `json:"scheme"`
			} `json:"protocols"`
		} `json:"info"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	if len(w.Info.Protocols) != 1 {
		t.Fatalf("wails.json lists %d protocols, want 1", len(w.Info.Protocols))
	}
	return w.Info.ProductVersion, w.Info.Protocols[0].Scheme
}

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("%s not set: scripts/test.d/35-windows.sh builds the installer and sets it", name)
	}
	return v
}

// TestInstallerRegistry: per user (HKCU only, under %LOCALAPPDATA%), the
// sign-in scheme registered as a URL protocol that starts the installed app
// with the link as one quoted argument, an "Apps & features" entry with the
// uninstaller, and an uninstall section that removes every key it wrote.
func TestInstallerRegistry(t *testing.T) {
	c := readLog(t, env(t, "ANALYST_WIN_NSIS_LOG"))
	version, scheme := wailsInfo(t)
	if scheme != protocol.DefaultURLScheme {
		t.Fatalf("wails.json scheme %q, the app's default %q: they must agree", scheme, protocol.DefaultURLScheme)
	}

	all := append(append(append([]string{}, c.head...), c.install...), c.uninstall...)
	for _, l := range all {
		if strings.Contains(l, "HKLM") || strings.Contains(l, "HKEY_LOCAL_MACHINE") || strings.Contains(l, "SHCTX") {
			t.Errorf("a per-user installer touches the machine's registry: %s", l)
		}
	}
	if !contains(c.head, `InstallDir: "$LOCALAPPDATA\Programs\Analyst Alerts"`) {
		t.Errorf("install folder is not per user under %%LOCALAPPDATA%%\\Programs")
	}

	w := regWrites(c.install)
	classes := `HKCU\Software\Classes\` + scheme + `\`
	uninst := `HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\AnalystAlerts\`
	want := map[string]string{
		classes + "URL Protocol":                "",
		classes + `shell\open\command\`:         `"$INSTDIR\` + exe + `" "%1"`,
		uninst + "DisplayName":                  "Analyst Alerts",
		uninst + "DisplayVersion":               version,
		uninst + "UninstallString":              `"$INSTDIR\uninstall.exe"`,
		uninst + "QuietUninstallString":         `"$INSTDIR\uninstall.exe" /S`,
		uninst + "InstallLocation":              `$INSTDIR`,
		`HKCU\Software\Classes\` + scheme + `\`: "URL:Analyst Alerts sign-in link",
	}
	for k, v := range want {
		got, ok := w[k]
		if !ok {
			t.Errorf("the installer does not write %s", k)
		} else if got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if !contains(c.install, `WriteUninstaller: "$INSTDIR\uninstall.exe"`) {
		t.Errorf("the installer writes no uninstaller")
	}

	// Every key written is deleted again by the uninstaller.
	for k := range w {
		if !strings.HasPrefix(k, classes) && !strings.HasPrefix(k, uninst) {
			t.Errorf("the installer writes %s, which the uninstaller does not remove", k)
		}
	}
	for _, key := range []string{strings.TrimSuffix(classes, `\`), strings.TrimSuffix(uninst, `\`)} {
		if !contains(c.uninstall, "DeleteRegKey: "+key) {
			t.Errorf("the uninstaller leaves %s behind", key)
		}
	}
	for _, f := range []string{`Delete: "$INSTDIR\` + exe + `"`, `Delete: "$INSTDIR\uninstall.exe"`} {
		if !contains(c.uninstall, f) {
			t.Errorf("the uninstaller does not %s", f)
		}
	}
}

// TestInstallerPackage opens the built setup.exe: it asks for no elevation,
// and holds the 64-bit GUI app (no console window) and the uninstaller.
func TestInstallerPackage(t *testing.T) {
	setup := env(t, "ANALYST_WIN_SETUP")
	version, _ := wailsInfo(t)
	if !strings.HasSuffix(filepath.Base(setup), "-"+version+"-windows-amd64-setup.exe") {
		t.Errorf("installer name %s does not carry version %s", filepath.Base(setup), version)
	}
	raw, err := os.ReadFile(setup)
	if err != nil {
		t.Fatal(err)
	}
	// RequestExecutionLevel user: the stub's manifest asks for no UAC prompt.
	if !bytes.Contains(raw, []byte(`requestedExecutionLevel level="asInvoker"`)) {
		t.Errorf("the installer's manifest does not run it as the invoking user")
	}

	list, err := exec.Command("7z", "l", "-ba", "-slt", setup).CombinedOutput()
	if err != nil {
		t.Fatalf("7z l: %v\n%s", err, list)
	}
	for _, f := range []string{"Path = " + exe, "Path = uninstall.exe"} {
		if !strings.Contains(string(list), f+"\n") {
			t.Errorf("the installer does not hold %s:\n%s", f, list)
		}
	}

	dir := t.TempDir()
	if out, err := exec.Command("7z", "x", "-o"+dir, setup, exe).CombinedOutput(); err != nil {
		t.Fatalf("7z x: %v\n%s", err, out)
	}
	f, err := pe.Open(filepath.Join(dir, exe))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		t.Errorf("app machine %#x, want amd64", f.Machine)
	}
	opt, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok || opt.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("the app is not a GUI program (it would open a console window)")
	}
	// The resources wails build would link: the manifest (per-monitor DPI,
	// Common Controls 6), the icon and the version (UTF-16 strings).
	rsrc := f.Section(".rsrc")
	if rsrc == nil {
		t.Fatal("the app has no resources (icon, manifest, version)")
	}
	data, err := rsrc.Data()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">permonitorv2,", "Microsoft.Windows.Common-Controls", `level="asInvoker"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("the app's manifest lacks %s", want)
		}
	}
	for _, want := range []string{"ProductName", "Analyst Alerts", "ProductVersion", version} {
		if !bytes.Contains(data, utf16le(want)) {
			t.Errorf("the app's version resource lacks %q", want)
		}
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}
