package connection

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"syscall"

	"github.com/gorilla/websocket"
)

// errNoURL: no gateway address yet (no server set).
var errNoURL = errors.New("no gateway address")

// dialError is a failed connect: the address and, if the server answered
// the upgrade with HTTP, its status.
type dialError struct {
	url    string
	status int // 0: no HTTP answer
	err    error
}

func (e *dialError) Error() string {
	if e.status != 0 {
		return fmt.Sprintf("connect to %s: %v (HTTP %d)", e.url, e.err, e.status)
	}
	return fmt.Sprintf("connect to %s: %v", e.url, e.err)
}

func (e *dialError) Unwrap() error { return e.err }

// refusedError is an auth_error that refused the connection, not the
// token (protocol.AuthError.TokenRefused): msg is the gateway's reason.
type refusedError struct{ code, msg string }

func (e *refusedError) Error() string {
	return "the gateway refused the connection (" + e.code + "): " + e.msg
}

// inWords says why a link attempt ended, for the person reading Settings:
// what happened and what to check, not the library's wording (which goes to
// the log).
func inWords(err error) string {
	var de *dialError
	var dns *net.DNSError
	var ne net.Error
	var ce *websocket.CloseError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var certErr *tls.CertificateVerificationError
	var refused *refusedError
	switch {
	case errors.As(err, &refused):
		return fmt.Sprintf("The gateway turned the connection away for now (%s); trying again.", refused.msg)
	case errors.Is(err, errNoURL):
		return "No gateway address: set the server address first."
	case errors.As(err, &de) && de.status != 0:
		return fmt.Sprintf("The gateway address answered HTTP %d %s instead of opening a WebSocket: check that it is the gateway's address.",
			de.status, http.StatusText(de.status))
	case errors.As(err, &dns):
		return fmt.Sprintf("The gateway's host name %q is not known: check the address and the network.", dns.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("Nothing answers at %s: the gateway is not running there, or the address is wrong.", hostOf(de))
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &certErr):
		return "The gateway's certificate is not trusted by this computer."
	case errors.As(err, &de) && errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("The gateway at %s did not answer in time.", hostOf(de))
	case errors.Is(err, errTimeout):
		return "The gateway did not answer the sign-in in time."
	case errors.Is(err, errDead):
		return "The gateway went silent (no ping for too long); the link was renewed."
	case errors.As(err, &ce) && ce.Code == websocket.CloseGoingAway:
		return "The gateway is restarting or shutting down."
	case errors.As(err, &ce) && ce.Code == websocket.CloseServiceRestart:
		return "The gateway is restarting; reconnecting."
	case errors.As(err, &ce) && ce.Code == websocket.CloseMessageTooBig:
		return "The gateway closed the link: a message was too large."
	case errors.As(err, &de):
		return fmt.Sprintf("Cannot connect to the gateway at %s.", hostOf(de))
	}
	return "The link to the gateway broke off."
}

func hostOf(de *dialError) string {
	if de == nil {
		return "its address"
	}
	if u, err := url.Parse(de.url); err == nil && u.Host != "" {
		return u.Host
	}
	return de.url
}
