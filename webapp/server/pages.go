package server

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/session"
)

// Templates and assets are embedded: the binary is the whole site, no CDN.
//
//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

func parsePages() (*template.Template, error) {
	return template.New("").Funcs(template.FuncMap{
		"since": func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") },
		"when":  alertTime,
	}).ParseFS(templateFS, "templates/*.html")
}

func staticFiles() gin.HandlerFunc {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		fsrv.ServeHTTP(c.Writer, c.Request)
	}
}

// favicon serves the app's icon at /favicon.ico (made by build/gen-icons.go).
func favicon(c *gin.Context) {
	b, err := staticFS.ReadFile("static/favicon.ico")
	if err != nil {
		c.Status(http.StatusNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, "image/x-icon", b)
}

// pageData is what every template gets.
type pageData struct {
	Title   string
	Session session.Session
	DevMode bool
	Error   *apperr.Error
	Next    string

	Linked      bool
	LinkedSince time.Time
	Scripts     []protocol.ScriptInfo
	ScriptsErr  string
	ScriptsDir  string // where the user's scripts go (the hint when there are none)
	DevEmail    string // the development sign-in form's starting address
	Downloads   []string
	Scheme      string
	LinkState   string // the app's one-time value on /desktop/link, passed back in the deep link
	Telegram    TelegramStatus
	Alerts      []protocol.RecentAlert // the dashboard's recent alerts (alerts.go)
	AlertsErr   string
}

func (s *Server) renderPage(c *gin.Context, status int, name string, d pageData) {
	d.DevMode = s.Config.AuthMode == config.AuthDev
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(status)
	if err := s.pages.ExecuteTemplate(c.Writer, name, d); err != nil {
		s.Log.Error("render page", slog.String("page", name), slog.Any("error", err))
	}
}

// linkPage: GET /desktop/link, the page with the Authorize button.
// The app opens it with ?state=<one-time value>, which the page posts to
// authorize so the deep link carries it back; a malformed one is refused
// here rather than silently dropped (the app would then ask the user).
func (s *Server) linkPage(c *gin.Context, sess session.Session) error {
	state := c.Query(protocol.LinkStateParam)
	if state != "" && !protocol.ValidLinkState(state) {
		return apperr.BadRequest("this sign-in request from the desktop app is malformed; click Sign in in the app again")
	}
	since, linked := s.Links.Linked(sess.User)
	s.renderPage(c, http.StatusOK, "link.html", pageData{Title: "Authorize the desktop app", Session: sess,
		Linked: linked, LinkedSince: since, Scheme: s.Config.URLScheme, LinkState: state})
	return nil
}

// dashboard: GET /dashboard.
func (s *Server) dashboard(c *gin.Context, sess session.Session) error {
	since, linked := s.Links.Linked(sess.User)
	d := pageData{Title: "Dashboard", Session: sess, Linked: linked, LinkedSince: since,
		Downloads: s.downloads(), ScriptsDir: s.Scripts.Folder(sess.User)}
	list, err := s.Scripts.List(c.Request.Context(), sess.User)
	if err != nil {
		e := apperr.From(err)
		if e.Status >= 500 {
			s.Log.Error("list scripts", slog.String("user", sess.User), slog.Any("error", err))
		}
		d.ScriptsErr = e.Message
	}
	d.Scripts = list
	d.Alerts, d.AlertsErr = s.recentAlerts(c.Request.Context(), sess.User)
	if d.Telegram, err = s.telegramStatusOf(sess.User); err != nil {
		return err
	}
	s.renderPage(c, http.StatusOK, "dashboard.html", d)
	return nil
}

// Desktop packages offered for download: these extensions only.
var downloadRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}\.(dmg|zip|pkg|AppImage|deb|rpm|exe|msi|tar\.gz)$`)

func (s *Server) downloads() []string {
	ents, err := os.ReadDir(s.Config.DownloadsDir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() && downloadRE.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// download: GET /download/<name>, a desktop package (signed in).
func (s *Server) download(c *gin.Context, _ session.Session) error {
	name := c.Param("name")
	if !downloadRE.MatchString(name) {
		return apperr.NotFound("no such download")
	}
	path := filepath.Join(s.Config.DownloadsDir, name)
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return apperr.NotFound("no such download")
	}
	c.FileAttachment(path, name)
	return nil
}
