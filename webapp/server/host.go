package server

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/config"
)

// hostRule is which Host headers the webapp answers: the public URL's host.
//
// A page on another site that rebinds its DNS name to this server's
// address (127.0.0.1 for `make run`) is same-origin with the webapp in the
// browser's eyes, so cookies, SameSite and the cross-origin check do not
// stop it; only its Host header, which names the attacker's domain, gives
// it away. So every request, in every mode, must be for the public host.
//
// Only the host name is compared, not the port: an attacker controls the
// name, never which name the public URL has, and nginx's
// `proxy_set_header Host $host` passes the name without the port. When the
// public host is a loopback address, the other loopback names are accepted
// too (browsers never ask DNS for "localhost", so it cannot be rebound).
type hostRule struct {
	public  string
	allowed map[string]bool
}

func newHostRule(cfg config.Config) hostRule {
	public := cfg.PublicURL
	if public == "" {
		public = "http://" + cfg.Addr // as config.Load defaults it
	}
	h := hostRule{public: public, allowed: map[string]bool{}}
	if u, err := url.Parse(public); err == nil && u.Hostname() != "" {
		name := normalHost(u.Hostname())
		h.allowed[name] = true
		if isLoopback(name) {
			for _, n := range []string{"localhost", "127.0.0.1", "::1"} {
				h.allowed[n] = true
			}
		}
	}
	return h
}

// allows reports whether a request's Host header names the public host.
func (h hostRule) allows(host string) bool {
	name := normalHost((&url.URL{Host: host}).Hostname())
	return name != "" && h.allowed[name]
}

// hostOnly answers 421 to a request for another host. GET /health is
// exempt: it says only "ok", and monitoring calls it by address.
func (s *Server) hostOnly(c *gin.Context) {
	if c.Request.URL.Path != "/health" && !s.hosts.allows(c.Request.Host) {
		s.fail(c, apperr.New(protocol.CodeWrongHost, http.StatusMisdirectedRequest,
			"this portal answers only at %s, not for host %q; open that address instead",
			s.hosts.public, c.Request.Host))
		return
	}
	c.Next()
}

func normalHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

func isLoopback(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
