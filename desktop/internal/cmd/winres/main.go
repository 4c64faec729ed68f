// Command winres writes the Windows app's resources (its icon, the
// application manifest and the version information) as a .syso object that
// `go build` links into the .exe when it sits in the main package's folder,
// as `wails build` does, with the library Wails itself uses for this
// (github.com/tc-hib/winres). scripts/build-windows-installer.sh runs it.
//
//	go run ./desktop/internal/cmd/winres -icon build/windows/icon.ico -version 1.2.3 -out rsrc_windows_amd64.syso
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/tc-hib/winres"
	"github.com/tc-hib/winres/version"
)

func main() {
	icon := flag.String("icon", "", "the app's .ico")
	ver := flag.String("version", "", "the app's version, x.y.z")
	out := flag.String("out", "", "the .syso to write (name it *_windows_amd64.syso)")
	flag.Parse()
	if err := write(*icon, *ver, *out); err != nil {
		fmt.Fprintln(os.Stderr, "winres:", err)
		os.Exit(1)
	}
}

func write(iconPath, ver, out string) error {
	parts := strings.Split(ver, ".")
	if iconPath == "" || out == "" || len(parts) != 3 {
		return fmt.Errorf("need -icon, -out and -version x.y.z (got %q)", ver)
	}
	var v4 [4]uint16
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return fmt.Errorf("version %q: %v", ver, err)
		}
		v4[i] = uint16(n)
	}
	rs := winres.ResourceSet{}
	f, err := os.Open(iconPath)
	if err != nil {
		return err
	}
	defer f.Close()
	ico, err := winres.LoadICO(f)
	if err != nil {
		return fmt.Errorf("%s: %w", iconPath, err)
	}
	// The id Wails' own build gives it (the window and the taskbar use it).
	if err := rs.SetIcon(winres.RT_ICON, ico); err != nil {
		return err
	}
	// Per-monitor DPI (sharp on high-DPI screens) and Common Controls 6, as
	// Wails' template manifest says; runs as the invoking user.
	rs.SetManifest(winres.AppManifest{
		Identity:            winres.AssemblyIdentity{Name: "com.keboola.analyst", Version: v4},
		Description:         "Analyst Alerts",
		Compatibility:       winres.Win10AndAbove,
		ExecutionLevel:      winres.AsInvoker,
		DPIAwareness:        winres.DPIPerMonitorV2,
		UseCommonControlsV6: true,
	})
	var vi version.Info
	vi.SetFileVersion(ver + ".0")
	vi.SetProductVersion(ver + ".0")
	for k, val := range map[string]string{
		version.ProductName: "Analyst Alerts", version.CompanyName: "Keboola",
		version.FileDescription: "Analyst Alerts", version.ProductVersion: ver, version.FileVersion: ver,
		version.OriginalFilename: "analyst-alerts.exe", version.LegalCopyright: "Copyright Keboola",
	} {
		if err := vi.Set(version.LangDefault, k, val); err != nil {
			return err
		}
	}
	rs.SetVersionInfo(vi)
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := rs.WriteObject(o, winres.ArchAMD64); err != nil {
		o.Close()
		return err
	}
	return o.Close()
}
