package server

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/mod/semver"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/config"
)

// A desktop package in DOWNLOADS_DIR tells its version and platform by its
// name: "analyst-alerts" then "-" or "_" then x.y.z, as the release builds
// name them (analyst-alerts-1.2.3-windows-amd64-setup.exe,
// analyst-alerts_1.2.3_amd64.deb, analyst-alerts-1.2.3-macos.dmg). The
// server's package (analyst-alerts-server_...) is not the app's.
var packageVersionRE = regexp.MustCompile(`(?i)^analyst[-_]?alerts[-_]v?([0-9]+\.[0-9]+\.[0-9]+)[-_.]`)

// packagePlatform: a word in the name (macos, darwin, windows, linux)
// decides, else the extension.
func packagePlatform(name string) string {
	lower := strings.ToLower(name)
	for _, w := range []struct{ word, platform string }{
		{"macos", "darwin"}, {"darwin", "darwin"}, {"windows", "windows"}, {"linux", "linux"},
	} {
		if strings.Contains(lower, w.word) {
			return w.platform
		}
	}
	switch {
	case strings.HasSuffix(lower, ".dmg"), strings.HasSuffix(lower, ".pkg"):
		return "darwin"
	case strings.HasSuffix(lower, ".exe"), strings.HasSuffix(lower, ".msi"):
		return "windows"
	case strings.HasSuffix(lower, ".deb"), strings.HasSuffix(lower, ".rpm"), strings.HasSuffix(lower, ".appimage"):
		return "linux"
	}
	return ""
}

// latestPackage is the newest app package for a platform in the downloads
// folder (want "" for any version), by version then name.
func latestPackage(names []string, platform, want string) (name, version string) {
	for _, n := range names {
		m := packageVersionRE.FindStringSubmatch(n)
		if m == nil || !config.VersionRE.MatchString(m[1]) || packagePlatform(n) != platform {
			continue
		}
		v := m[1]
		if want != "" && v != want {
			continue
		}
		if name == "" || semver.Compare("v"+v, "v"+version) > 0 {
			name, version = n, v
		}
	}
	return name, version
}

// desktopVersion: GET /api/desktop/version?platform=...: the latest app for
// a platform, from DESKTOP_LATEST_VERSION or else the packages offered for
// download. It needs no sign-in (an app signed out asks too) and says only
// a version and a link: the download itself needs the portal's sign-in.
// The link is the package when the folder has that version's, else the
// dashboard that lists the downloads.
func (s *Server) desktopVersion(c *gin.Context) {
	platform := c.Query(protocol.VersionPlatformParam)
	if !slices.Contains(protocol.DesktopPlatforms, platform) {
		s.fail(c, apperr.BadRequest("%s must be one of %s", protocol.VersionPlatformParam,
			strings.Join(protocol.DesktopPlatforms, ", ")))
		return
	}
	out := protocol.DesktopVersion{Platform: platform}
	names := s.downloads()
	if v := s.Config.DesktopVersions[platform]; v != "" {
		out.Version = v
		out.URL = s.Config.PublicURL + "/dashboard"
		if name, _ := latestPackage(names, platform, v); name != "" {
			out.URL = s.Config.PublicURL + "/download/" + url.PathEscape(name)
		}
	} else if name, v := latestPackage(names, platform, ""); name != "" {
		out.Version = v
		out.URL = s.Config.PublicURL + "/download/" + url.PathEscape(name)
	}
	c.Header("Cache-Control", "no-cache")
	c.JSON(http.StatusOK, out)
}
