package server_test

import (
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/scripts"
	"github.com/keboola/analyst-alerts/webapp/server"
	"github.com/keboola/analyst-alerts/webapp/signin"
	"github.com/keboola/analyst-alerts/webapp/webapptest"
)

// TestMain removes the notify-scripts helper webapptest builds.
func TestMain(m *testing.M) { webapptest.Main(m) }

// env is a real webapp wired as the command wires it (webapptest: a real
// listener on loopback, a real in-process gateway, real files in a
// temporary DATA_DIR, the real notify-scripts helper running real Python
// scripts from a temporary home), with its logs kept for the test.
type env struct {
	t        testing.TB
	gw       *gatewaytest.Gateway
	srv      *server.Server
	url      string // http://127.0.0.1:PORT
	addr     string // 127.0.0.1:PORT
	cfg      config.Config
	dataDir  string
	homeRoot string
	logs     *gatewaytest.LogBuffer
}

type envOpts struct {
	gw      *gatewaytest.Gateway // share a running gateway
	dataDir string               // share a DATA_DIR
	env     []string             // more of the webapp's environment (AUTH_MODE=oidc, ...)
	rules   *signin.Rules
	socket  string // override the dispatch socket (e.g. nothing listening)
	public  string // WEBAPP_PUBLIC_URL; default: the webapp's own URL
	now     func() time.Time
	bot     string // the Telegram bot's socket
	devUser string // WEBAPP_DEV_USER
}

// newEnv starts the webapp. Revocation cutoffs are synced only when a test
// runs SyncRevocations itself (the tests look at what is still pending).
func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	extra := append([]string(nil), o.env...)
	if o.socket != "" {
		extra = append(extra, config.EnvSocket+"="+o.socket)
	}
	if o.bot != "" {
		extra = append(extra, config.EnvBotSocket+"="+o.bot)
	}
	if o.public != "" {
		extra = append(extra, config.EnvPublicURL+"="+o.public)
	}
	if o.devUser != "" {
		extra = append(extra, config.EnvDevUser+"="+o.devUser)
	}
	logs := &gatewaytest.LogBuffer{}
	w := webapptest.Start(t, webapptest.Options{Gateway: o.gw, DataDir: o.dataDir, Env: extra, Log: logs,
		RevocationSync: -1,
		Deps: func(d *server.Deps) {
			d.Now = o.now
			if o.rules != nil {
				d.Rules = *o.rules
			}
			// The tests' scripts finish in moments; a hung one fails fast.
			d.Scripts.(*scripts.Runner).RunTimeout = 30 * time.Second
		}})
	return &env{t: t, gw: w.Gateway, srv: w.Server, url: w.URL, addr: w.Addr, cfg: w.Config,
		dataDir: w.DataDir, homeRoot: w.HomeRoot, logs: logs}
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
	resp, err := c.PostForm(e.url+"/auth/dev/login", url.Values{"email": {email}, "next": {"/dashboard"}})
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
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.send(c, req, hdr...)
}

// send sends req with the headers hdr (name, value pairs) through c (nil:
// a new browser) and reads the answer.
func (e *env) send(c *http.Client, req *http.Request, hdr ...string) answer {
	e.t.Helper()
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
