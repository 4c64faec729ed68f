package session

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRoundTripTamperAndExpiry(t *testing.T) {
	key, _ := DeriveKey([]byte("0123456789abcdef0123456789abcdef"))
	c, err := New(key, true, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := c.Write(w, "petr", "petr@example.com"); err != nil {
		t.Fatal(err)
	}
	ck := w.Result().Cookies()[0]
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode {
		t.Fatalf("cookie flags: %+v", ck)
	}
	if strings.Contains(ck.Value, "petr") {
		t.Fatal("cookie is not encrypted")
	}
	req := func(v string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: v})
		return r
	}
	if s, err := c.Read(req(ck.Value)); err != nil || s.User != "petr" {
		t.Fatalf("read: %v %+v", err, s)
	}
	b := []byte(ck.Value)
	b[len(b)/2] ^= 1
	if _, err := c.Read(req(string(b))); err == nil {
		t.Fatal("tampered cookie accepted")
	}
	other, _ := DeriveKey([]byte("another secret, 32 bytes or more!!"))
	c2, _ := New(other, true, time.Hour)
	if _, err := c2.Read(req(ck.Value)); err == nil {
		t.Fatal("cookie accepted under another key")
	}
	c.SetNow(func() time.Time { return time.Now().Add(2 * time.Hour) })
	if _, err := c.Read(req(ck.Value)); err == nil {
		t.Fatal("expired session accepted")
	}
}
