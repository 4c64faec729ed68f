package webapi

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/desktop/apperr"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/webapptest"
)

// TestMain removes the notify-scripts helper webapptest builds.
func TestMain(m *testing.M) { webapptest.Main(m) }

func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{200, 30, 30, 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A server that sends something else than the chart's name says (a page,
// a JPEG under a .png name) is not believed, whatever its Content-Type.
func TestImageMustBeWhatItsNameSays(t *testing.T) {
	bodies := map[string][]byte{"page.png": []byte("<html><script>alert(1)</script>"), "swapped.png": jpegBytes(t),
		"swapped.jpg": pngBytes(t), "fine.jpg": jpegBytes(t)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(bodies[strings.TrimPrefix(r.URL.Path, protocol.PathImagesPrefix)])
	}))
	defer srv.Close()
	c := New(srv.URL, nil)
	for _, name := range []string{"page.png", "swapped.png", "swapped.jpg"} {
		if _, _, err := c.Image(context.Background(), "a.b.c", protocol.PathImagesPrefix+name); apperr.CodeOf(err) != apperr.Server {
			t.Errorf("%s accepted: %v", name, err)
		}
	}
	if _, ct, err := c.Image(context.Background(), "a.b.c", protocol.PathImagesPrefix+"fine.jpg"); err != nil || ct != "image/jpeg" {
		t.Errorf("fine.jpg: %s %v", ct, err)
	}
}

// setup runs the real webapp (and its gateway) with two scripts of petr's
// and a chart, and returns a client for it with petr's token.
func setup(t *testing.T) (*Client, *webapptest.Webapp, string) {
	w := webapptest.Start(t, webapptest.Options{})
	w.Script(t, "petr", "revenue.py", `import json; print(json.dumps({"notify": True, "title": "Revenue drop"}))`)
	w.Script(t, "petr", "x.py", `import json; print(json.dumps({"notify": False}))`)
	w.Image(t, "abc.png", pngBytes(t))
	w.Image(t, "abc.jpg", jpegBytes(t))
	return New(w.URL, nil), w, w.Gateway.Token(t, "petr")
}

func TestRefreshScriptsRun(t *testing.T) {
	c, w, tok := setup(t)
	ctx := context.Background()
	nt, err := c.Refresh(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if cl, err := protocol.VerifyToken(w.Gateway.Secret, w.Gateway.Issuer, nt, time.Now()); err != nil || cl.Subject != "petr" {
		t.Fatalf("refreshed token: %v", err)
	}
	list, err := c.Scripts(ctx, tok)
	if err != nil || len(list) != 2 || list[0].Name != "revenue.py" || list[0].Stem != "revenue" || list[0].LastRun != nil || list[1].Name != "x.py" {
		t.Fatalf("scripts %+v %v", list, err)
	}
	if err := c.RunScript(ctx, tok, "revenue.py"); err != nil {
		t.Fatal(err)
	}
	if err := c.RunScript(ctx, tok, "missing.py"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("missing script: %v", err)
	}
	if err := c.RunScript(ctx, tok, "../etc/passwd"); apperr.CodeOf(err) != apperr.BadInput {
		t.Fatalf("bad name: %v", err)
	}
	// The run happened: the list says so, and only that one ran.
	list, err = c.Scripts(ctx, tok)
	if err != nil || len(list) != 2 || list[0].LastRun == nil || *list[0].LastRun != "just now" || list[1].LastRun != nil {
		t.Fatalf("scripts after the run %+v %v", list, err)
	}
}

func TestRefusedTokenIsAuthRefused(t *testing.T) {
	c, w, _ := setup(t)
	ctx := context.Background()
	secret, iss := w.Gateway.Secret, w.Gateway.Issuer
	old, _, _ := protocol.IssueToken(secret, iss, "petr", time.Now().Add(-38*24*time.Hour)) // expired 8 days ago
	if _, err := c.Refresh(ctx, old); apperr.CodeOf(err) != apperr.AuthRefused {
		t.Fatalf("expired beyond grace: %v", err)
	}
	graced, _, _ := protocol.IssueToken(secret, iss, "petr", time.Now().Add(-33*24*time.Hour)) // expired 3 days ago
	if _, err := c.Refresh(ctx, graced); err != nil {
		t.Fatalf("within grace: %v", err)
	}
	forged, _, _ := protocol.IssueToken([]byte("another-secret-another-secret-xx"), iss, "petr", time.Now())
	if _, err := c.Scripts(ctx, forged); apperr.CodeOf(err) != apperr.AuthRefused {
		t.Fatalf("forged: %v", err)
	}
}

func TestUnreachableServerIsNetwork(t *testing.T) {
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close()
	if _, err := New(url, nil).Refresh(context.Background(), "a.b.c"); apperr.CodeOf(err) != apperr.Network {
		t.Fatalf("got %v", err)
	}
}

func TestImagesOnlyFromTheServerAndOnlyImages(t *testing.T) {
	c, _, tok := setup(t)
	ctx := context.Background()
	b, ct, err := c.Image(ctx, tok, "/api/notifications/images/abc.png")
	if err != nil || ct != "image/png" || len(b) == 0 {
		t.Fatalf("image: %v %s", err, ct)
	}
	if b, ct, err := c.Image(ctx, tok, "/api/notifications/images/abc.jpg"); err != nil || ct != "image/jpeg" || !bytes.Equal(b, jpegBytes(t)) {
		t.Fatalf("JPEG chart: %v %s", err, ct)
	}
	if _, _, err := c.Image(ctx, tok, "/api/notifications/images/nope.png"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("missing image: %v", err)
	}
	for _, bad := range []string{
		"https://evil.example/api/notifications/images/abc.png", // token must not leave the server
		"//evil.example/api/notifications/images/abc.png",
		"/api/desktop/scripts",
		"/api/notifications/images/../../desktop/scripts",
		"/api/notifications/images/%2e%2e%2fx",
		"/api/notifications/images/a.png?x=1",
		"/api/notifications/images/a.svg",
		"/api/notifications/images/.incoming-1",
		"javascript:alert(1)",
		"",
	} {
		if _, err := c.ImageURL(bad); apperr.CodeOf(err) != apperr.BadInput {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}

func TestForbiddenIsNotARefusedSignIn(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":"you may not run this script"}`))
	}))
	defer srv.Close()
	err := New(srv.URL, nil).RunScript(context.Background(), "a.b.c", "x.py")
	var e *apperr.Error
	if apperr.CodeOf(err) != apperr.Server || !errors.As(err, &e) || e.Message != "you may not run this script" {
		t.Fatalf("%v", err)
	}
}

// The webapp's error answers, as it writes them ({"error","code"}): only a
// refusal of the token is AuthRefused (which leads to a refresh and then
// to sign-out); a 403 "forbidden" is not, whatever docs said before.
func TestRefusalIsDecidedByTheCode(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		want   apperr.Code
	}{
		{401, `{"error":"invalid token: token has expired","code":"unauthorized"}`, apperr.AuthRefused},
		{401, `{"error":"this token was revoked","code":"token_revoked"}`, apperr.AuthRefused},
		{401, `<html>401 Authorization Required</html>`, apperr.AuthRefused}, // a proxy's
		{403, `{"error":"cross-origin request refused","code":"forbidden"}`, apperr.Server},
		{403, `<html>403 Forbidden</html>`, apperr.Server},
		{400, `{"error":"Desktop app is not linked","code":"not_linked"}`, apperr.Server},
		{404, `{"error":"no such script","code":"not_found"}`, apperr.NotFound},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(c.status)
			w.Write([]byte(c.body))
		}))
		_, err := New(srv.URL, nil).Scripts(context.Background(), "a.b.c")
		srv.Close()
		if apperr.CodeOf(err) != c.want {
			t.Errorf("%d %s: got %v (%s), want %s", c.status, c.body, apperr.CodeOf(err), err, c.want)
		}
	}
}
