// Command linux-package builds one Linux package from an nfpm
// configuration (internal/release.Build); scripts/release.sh calls it:
//
//	linux-package -config build/linux/nfpm-app.yaml -format deb -out build/release \
//	    -version 1.2.3 -arch amd64 -stage build/release/stage
//
// Paths in the configuration are relative to the repository's root, the
// folder it runs in. It prints the package's path.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"

	"github.com/keboola/analyst-alerts/internal/release"
)

func main() {
	config := flag.String("config", "", "nfpm configuration (YAML)")
	format := flag.String("format", "deb", "deb or rpm")
	out := flag.String("out", "build/release", "output folder")
	version := flag.String("version", "", "package version (required)")
	arch := flag.String("arch", runtime.GOARCH, "GOARCH of the binaries")
	stage := flag.String("stage", "build/release/stage", "folder holding the built binaries")
	flag.Parse()
	if *config == "" || *version == "" {
		fmt.Fprintln(os.Stderr, "linux-package: -config and -version are required")
		flag.Usage()
		os.Exit(2)
	}
	path, err := release.Build(*config, *format, *out, map[string]string{
		"VERSION": *version, "ARCH": *arch, "STAGE": *stage,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "linux-package:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}
