// Package release builds the Linux packages (.deb, .rpm) of the desktop app
// and the server from the nfpm configurations in build/linux/nfpm-app.yaml
// and deploy/nfpm-server.yaml. nfpm (goreleaser's packager library) writes
// the archives itself, so the build needs neither dpkg-deb nor rpmbuild and
// runs the same on a developer's machine, in make release and in CI.
package release

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager
)

// Build packages the configuration at config in format ("deb" or "rpm")
// into outDir and returns the file's path. env gives the values of the
// ${VAR}s in the configuration (VERSION, ARCH, STAGE: the folder of built
// binaries); a variable it lacks is an error, not an empty string, so a
// typo cannot produce a package without its version or binary.
func Build(config, format, outDir string, env map[string]string) (string, error) {
	var missing []string
	cfg, err := nfpm.ParseFileWithEnvMapping(config, func(k string) string {
		v, ok := env[k]
		if strings.HasPrefix(k, "NFPM_") { // nfpm's own: signing passphrases
			return os.Getenv(k)
		}
		if !ok {
			missing = append(missing, k)
		}
		return v
	})
	if err != nil {
		return "", fmt.Errorf("%s: %w", config, err)
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%s: no value for %v", config, missing)
	}
	info, err := cfg.Get(format)
	if err != nil {
		return "", fmt.Errorf("%s: %w", config, err)
	}
	packager, err := nfpm.Get(format)
	if err != nil {
		return "", err
	}
	if err := nfpm.PrepareForPackager(info, format); err != nil {
		return "", fmt.Errorf("%s (%s): %w", config, format, err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(outDir, packager.ConventionalFileName(info))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := packager.Package(info, f); err != nil {
		f.Close()
		os.Remove(path)
		return "", fmt.Errorf("%s (%s): %w", config, format, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", err
	}
	return path, nil
}
