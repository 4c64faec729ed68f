package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/peercred"
)

// dispatchRoutes is the dispatch-socket API but POST /dispatch, the hot
// path, which dispatchServer answers itself (dispatchserver.go). The
// runner's own routes are matched by plain comparisons; everything else
// goes through the mux, and only for trusted callers (access.go): it tells
// who is online, profiles the process, and revokes anyone's tokens.
func (g *Gateway) dispatchRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+protocol.PathHealth, g.handleHealth)
	mux.HandleFunc("POST "+protocol.PathRevoke, g.handleRevoke)
	mux.Handle("GET "+protocol.PathMetrics, promhttp.HandlerFor(g.metrics.Registry, promhttp.HandlerOpts{}))
	// Profiles for operators (trusted callers only, as everything here).
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	allowed := map[string]string{protocol.PathDispatch: "POST", protocol.PathHealth: "GET",
		protocol.PathAck: "POST", protocol.PathNotification: "GET", protocol.PathRecent: "GET",
		protocol.PathRevoke: "POST", protocol.PathMetrics: "GET", protocol.PathHeartbeat: "POST"}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if m, ok := allowed[r.URL.Path]; ok {
			w.Header().Set("Allow", m)
			writeError(w, http.StatusMethodNotAllowed, r.URL.Path+" takes "+m)
			return
		}
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// An analyst's runner reads and acknowledges its own user's alerts
		// (ack.go checks the user); trusted callers anyone's.
		switch {
		case r.Method == http.MethodPost && r.URL.Path == protocol.PathAck:
			g.handleAck(w, r)
			return
		case r.Method == http.MethodGet && r.URL.Path == protocol.PathNotification:
			g.handleNotification(w, r)
			return
		case r.Method == http.MethodGet && r.URL.Path == protocol.PathRecent:
			g.handleRecent(w, r)
			return
		case r.Method == http.MethodPost && r.URL.Path == protocol.PathHeartbeat:
			g.handleHeartbeat(w, r) // any analyst, for itself (watch.go)
			return
		}
		if id := g.access.Identify(r.Context()); !id.Trusted {
			g.forbid(w, id, r.Method+" "+r.URL.Path, fmt.Sprintf("%s may only POST %s to its own user; %s needs %s",
				id, protocol.PathDispatch, r.URL.Path, g.access.WhoIsTrusted()))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// forbid answers 403 and logs who tried what: a caller probing the socket
// is worth an operator's attention.
func (g *Gateway) forbid(w http.ResponseWriter, id peercred.Identity, what, msg string) {
	g.log.Warn("dispatch socket: forbidden", slog.String("caller", id.String()), slog.String("request", what))
	writeError(w, http.StatusForbidden, msg)
}

// appendDispatchAnswer is json.Marshal(res) plus a newline, as writeJSON
// writes it: the answer is three numbers, and written by hand it needs
// no encoder (TestDispatchAnswerMatchesJSON keeps the two equal).
func appendDispatchAnswer(out []byte, res protocol.DispatchResponse) []byte {
	out = append(out, `{"sent":`...)
	out = strconv.AppendInt(out, int64(res.Sent), 10)
	out = append(out, `,"stored":`...)
	out = strconv.AppendBool(out, res.Stored)
	out = append(out, `,"seq":`...)
	out = strconv.AppendUint(out, res.Seq, 10)
	return append(out, "}\n"...)
}

var jsonContentType = []string{"application/json"}

// writeRaw writes an already encoded JSON answer. Setting the header map
// directly skips the canonicalisation of Header.Set and an allocation;
// net/http adds the Content-Length of a small answer itself.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	w.Write(body)
}

func (g *Gateway) handleHealth(w http.ResponseWriter, _ *http.Request) {
	n, users := g.fanout.Stats()
	h := protocol.HealthResponse{Status: "ok", Connections: n, Users: users, Epoch: g.fanout.Epoch(),
		OverdueRunners: g.watcher.Overdue()}
	g.health(&h)
	writeJSON(w, http.StatusOK, h)
}

func (g *Gateway) handleRevoke(w http.ResponseWriter, r *http.Request) {
	body, refused := g.readBody(w, r, "revoke")
	if refused != 0 {
		return
	}
	var req protocol.RevokeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	if req.User == "" || req.NotBefore <= 0 {
		writeError(w, http.StatusBadRequest, "missing user or not_before")
		return
	}
	// A cutoff in the future would refuse every token issued until then,
	// new ones too, across restarts: a lock-out, not an unlink. An unlink's
	// cutoff is a second ahead (protocol.RevocationCutoff); the rest is
	// clock skew between the webapp and the gateway.
	if limit := time.Now().Add(protocol.MaxClockSkew).Unix(); req.NotBefore > limit {
		writeError(w, http.StatusBadRequest, fmt.Sprintf(
			"not_before %d is more than %v in the future", req.NotBefore, protocol.MaxClockSkew))
		return
	}
	closed, err := g.fanout.Revoke(req.User, req.NotBefore)
	if errors.Is(err, hub.ErrUnavailable) {
		g.log.Warn("revoke refused: the store is unavailable", slog.String("user", req.User), slog.Any("error", err))
		writeError(w, http.StatusServiceUnavailable, "the revocation store is unavailable: the revocation is not acknowledged, send it again")
		return
	}
	if err != nil {
		g.log.Error("revoke failed", slog.String("user", req.User), slog.Any("error", err))
		writeError(w, http.StatusInternalServerError, "could not store the revocation")
		return
	}
	g.log.Info("tokens revoked", slog.String("user", req.User),
		slog.Time("not_before", time.Unix(req.NotBefore, 0)), slog.Int("closed", closed))
	writeJSON(w, http.StatusOK, protocol.RevokeResponse{Closed: closed})
}

// readBody reads a request body of at most MaxDispatchBytes. When it
// cannot, it answers (413 for a bigger body) and returns that status.
func (g *Gateway) readBody(w http.ResponseWriter, r *http.Request, what string) ([]byte, int) {
	return g.readBodyInto(w, r, what, nil)
}

// readBodyInto is readBody appending to buf, so a caller can recycle it.
func (g *Gateway) readBodyInto(w http.ResponseWriter, r *http.Request, what string, buf []byte) ([]byte, int) {
	if n := r.ContentLength; n >= 0 && n <= protocol.MaxDispatchBytes && int64(cap(buf)) < n+1 {
		buf = make([]byte, 0, n+1) // +1 so the read that sees the end needs no growth
	}
	body, err := readAllInto(http.MaxBytesReader(w, r.Body, protocol.MaxDispatchBytes), buf)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s body larger than %d bytes", what, protocol.MaxDispatchBytes))
			return nil, http.StatusRequestEntityTooLarge
		}
		writeError(w, http.StatusBadRequest, "could not read body")
		return nil, http.StatusBadRequest
	}
	return body, 0
}

// readAllInto is io.ReadAll appending to buf.
func readAllInto(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// writeError answers status with msg and the status's code: the socket's
// errors are told apart by their status alone.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, protocol.ErrorResponse{Error: msg, Code: errorCodes[status]})
}

var errorCodes = map[int]string{
	http.StatusBadRequest:            protocol.CodeBadRequest,
	http.StatusForbidden:             protocol.CodeForbidden,
	http.StatusNotFound:              protocol.CodeNotFound,
	http.StatusMethodNotAllowed:      protocol.CodeMethodNotAllowed,
	http.StatusRequestEntityTooLarge: protocol.CodeTooLarge,
	http.StatusInternalServerError:   protocol.CodeInternal,
	http.StatusServiceUnavailable:    protocol.CodeUnavailable,
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"error":"could not encode the answer","code":"internal"}`)
		status = http.StatusInternalServerError
	}
	writeRaw(w, status, append(b, '\n'))
}
