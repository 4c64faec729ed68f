package server_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testbin"
	"github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/images"
	"github.com/keboola/analyst-alerts/webapp/links"
	"github.com/keboola/analyst-alerts/webapp/scripts"
	"github.com/keboola/analyst-alerts/webapp/server"
	"github.com/keboola/analyst-alerts/webapp/session"
	"github.com/keboola/analyst-alerts/webapp/signin"
)

// helper is the real notify-scripts, built once by TestMain.
var helper string

// TestMain builds the real notify-scripts helper (./webapp/cmd/notify-scripts)
// for the tests to run, directly as in development mode. The helper lets only
// members of the analysts' group run scripts: here that is the test's own
// primary group.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "webapp-helper")
	if err != nil {
		panic(err)
	}
	helper, err = testbin.Build(dir, "github.com/keboola/analyst-alerts/webapp/cmd/notify-scripts")
	if err != nil {
		panic(err)
	}
	g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
	if err != nil {
		panic(err)
	}
	os.Setenv("NOTIFY_ANALYST_GROUP", g.Name)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is a real webapp (httptest on loopback) wired to a real in-process
// gateway, real files in a temporary DATA_DIR and the real notify-scripts
// helper running real Python scripts from a temporary home.
type env struct {
	t        testing.TB
	gw       *gatewaytest.Gateway
	srv      *server.Server
	ts       *httptest.Server
	cfg      config.Config
	dataDir  string
	homeRoot string
	logs     *bytes.Buffer
}

type envOpts struct {
	gw      *gatewaytest.Gateway // share a running gateway
	dataDir string               // share a DATA_DIR
	oidc    func(baseURL string) *signin.OIDC
	rules   *signin.Rules
	socket  string // override the dispatch socket (e.g. nothing listening)
	public  string // WEBAPP_PUBLIC_URL; default: the test server's own URL
	now     func() time.Time
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	gw := o.gw
	if gw == nil {
		gw = gatewaytest.Start(t, gatewaytest.Options{})
	}
	e := &env{t: t, gw: gw, dataDir: o.dataDir, homeRoot: t.TempDir(), logs: &bytes.Buffer{}}
	if e.dataDir == "" {
		e.dataDir = t.TempDir()
	}
	e.cfg = config.Config{
		Addr: "127.0.0.1:0", Secret: gw.Secret, Issuer: gw.Issuer, URLScheme: protocol.DefaultURLScheme,
		Socket: gw.Socket, AuthMode: config.AuthDev, DataDir: e.dataDir,
		DownloadsDir: filepath.Join(e.dataDir, "downloads"), Helper: helper,
		HelperRunAs: config.RunAsDirect, HelperHomeRoot: e.homeRoot, SessionMaxAge: time.Hour,
	}
	if o.socket != "" {
		e.cfg.Socket = o.socket
	}
	rules := signin.Rules{AllowAny: true}
	// The listener comes first: the OIDC redirect URL needs its address.
	e.ts = httptest.NewUnstartedServer(nil)
	base := "http://" + e.ts.Listener.Addr().String()
	e.cfg.PublicURL = base
	if o.public != "" {
		e.cfg.PublicURL = o.public
	}
	var oidc *signin.OIDC
	if o.oidc != nil {
		e.cfg.AuthMode = config.AuthOIDC
		oidc = o.oidc(base)
	}
	if o.rules != nil {
		rules = *o.rules
	}
	store, err := links.Open(e.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := session.DeriveKey(e.cfg.Secret)
	sess, err := session.New(key, false, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.srv, err = server.New(server.Deps{
		Config: e.cfg, Links: store, Sessions: sess, OIDC: oidc, Rules: rules,
		Scripts: &scripts.Runner{Helper: helper, HomeRoot: e.homeRoot, RunTimeout: 30 * time.Second,
			ImagesDir: filepath.Join(e.dataDir, "images"), Env: os.Environ()},
		Gateway: protocol.NewClient(e.cfg.Socket),
		Images:  images.Store{Dir: filepath.Join(e.dataDir, "images")},
		Log:     slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:     o.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.ts.Config.Handler = e.srv.Handler()
	e.ts.Start()
	t.Cleanup(e.ts.Close)
	return e
}

// newEnvOnData is a second webapp on e's gateway and DATA_DIR (a restart).
func newEnvOnData(t *testing.T, e *env) *env {
	return newEnv(t, envOpts{gw: e.gw, dataDir: e.dataDir})
}

// browser is an HTTP client with its own cookie jar that does not follow
// redirects (tests look at them).
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signIn signs a new browser in through the development form.
func (e *env) signIn(email string) *http.Client {
	e.t.Helper()
	c := e.browser()
	resp, err := c.PostForm(e.ts.URL+"/auth/dev/login", url.Values{"email": {email}, "next": {"/dashboard"}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		e.t.Fatalf("dev sign-in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return c
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %v: %s", a.status, err, a.body)
	}
}

// errorBody checks an {"error","code"} answer and returns the message.
func (a answer) errorBody(t testing.TB, status int, code string) string {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	var e struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	a.json(t, &e)
	if e.Error == "" {
		t.Fatalf("error answer without message: %s", a.body)
	}
	if code != "" && e.Code != code {
		t.Fatalf("code %q, want %q (%s)", e.Code, code, e.Error)
	}
	return e.Error
}

func (e *env) do(c *http.Client, method, path, body string, hdr ...string) answer {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if c == nil {
		c = e.browser()
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func (e *env) bearer(method, path, token, body string) answer {
	e.t.Helper()
	return e.do(nil, method, path, body, "Authorization", "Bearer "+token)
}

// authorize runs POST /api/desktop/authorize and returns the token in the
// deep link.
func (e *env) authorize(c *http.Client) string {
	e.t.Helper()
	a := e.do(c, http.MethodPost, protocol.PathDesktopAuthorize, "")
	if a.status != http.StatusOK {
		e.t.Fatalf("authorize: %d %s", a.status, a.body)
	}
	var r protocol.AuthorizeResponse
	a.json(e.t, &r)
	tok, err := protocol.ParseDeepLink(r.URL, protocol.DefaultURLScheme)
	if err != nil {
		e.t.Fatalf("authorize url %q: %v", r.URL, err)
	}
	return tok
}

// script writes a Python script into user's development home.
func (e *env) script(user, name, code string) {
	e.t.Helper()
	dir := filepath.Join(e.homeRoot, user, "user", "notifications")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(code), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// chart writes a small real PNG and returns its path.
func (e *env) chart() string {
	e.t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 4))
	for x := 0; x < 8; x++ {
		img.Set(x, x/2, color.RGBA{200, 30, 30, 255})
	}
	p := filepath.Join(e.t.TempDir(), "chart.png")
	f, err := os.Create(p)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// wsClient is a desktop app's connection to the gateway.
type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
}

// connect authenticates token on the gateway; it returns the first answer
// frame's type and the client.
func (e *env) connect(token string) (string, *wsClient) {
	e.t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(e.gw.WSURL, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	if err := conn.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: token}); err != nil {
		e.t.Fatal(err)
	}
	c := &wsClient{t: e.t, conn: conn}
	f := c.next(5 * time.Second)
	return f["type"].(string), c
}

// next reads the next non-ping frame; nil when the connection closed.
func (c *wsClient) next(wait time.Duration) map[string]any {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(wait))
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return nil
		}
		var f map[string]any
		if err := json.Unmarshal(data, &f); err != nil {
			c.t.Fatalf("frame is not JSON: %s", data)
		}
		if f["type"] == protocol.TypePing {
			_ = c.conn.WriteJSON(map[string]string{"type": protocol.TypePong})
			continue
		}
		return f
	}
}
