package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/peercred"
)

// dispatchServer serves the dispatch socket with fasthttp (a well-kept
// library, already the load generator's client). net/http spends more on
// a request than the gateway does storing and delivering it: a goroutine
// per request that watches the connection while the handler runs (woken
// and waited for at its end), a context and a response object each time.
// fasthttp serves each connection's requests from one goroutine with
// pooled buffers and no per-request goroutine. POST /dispatch, the hot
// path, is answered here; every other route is dispatchRoutes' net/http
// handler through fasthttp's adaptor (they are rare and not hot).
type dispatchServer struct {
	g     *Gateway
	srv   *fasthttp.Server
	other fasthttp.RequestHandler

	lnMu    sync.Mutex
	ln      net.Listener
	stopped bool

	// Each connection's peer credentials, read once when it connects
	// (what net/http's ConnContext did).
	mu    sync.RWMutex
	peers map[net.Conn]connPeer
}

type connPeer struct {
	p  peercred.Peer
	ok bool // the kernel's credentials were read
}

// maxReadBody is the most of a request body read: a body over
// MaxDispatchBytes by less than net/http's post-handler discard (256 KiB)
// is read whole and refused by its handler with a 413 the client sees
// once it has sent it all; a larger one is refused before it is read,
// and the connection closed (as net/http did).
const maxReadBody = protocol.MaxDispatchBytes + 256<<10

// idleKeepAlive is how long an idle keep-alive connection is kept: long,
// as net/http kept them forever; a dispatcher's pooled connection closed
// under it would fail a POST, which its client cannot safely retry.
const idleKeepAlive = 24 * time.Hour

func (g *Gateway) newDispatchServer(log *slog.Logger) *dispatchServer {
	s := &dispatchServer{g: g, peers: map[net.Conn]connPeer{}}
	routes := g.withLightReads(g.dispatchRoutes())
	s.other = fasthttpadaptor.NewFastHTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The adaptor's request context is the fasthttp request: its
		// connection's peer goes into it for the access rules (access.go).
		if rc, ok := r.Context().(*fasthttp.RequestCtx); ok {
			if cp := s.peer(rc.Conn()); cp.ok {
				r = r.WithContext(peercred.WithPeer(r.Context(), cp.p))
			}
		}
		routes.ServeHTTP(w, r)
	}))
	s.srv = &fasthttp.Server{
		Handler:      s.serve,
		ErrorHandler: s.refuse,
		ConnState:    s.connState,
		// A request, once its first byte is in, is read within this
		// (net/http had ReadHeaderTimeout: the same for the header).
		ReadTimeout:           10 * time.Second,
		IdleTimeout:           idleKeepAlive,
		MaxRequestBodySize:    maxReadBody,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		// No Date header: keeping one costs fasthttp a goroutine that
		// wakes every second for the life of the process.
		NoDefaultDate: true,
		Logger:        slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// How long a worker goroutine without a connection is kept, and
		// so how often the pool's cleaner wakes: it sees Shutdown only
		// when it wakes, and nothing the gateway started may outlive it
		// by much (the tests check).
		MaxIdleWorkerDuration: 100 * time.Millisecond,
	}
	return s
}

// Serve serves ln until Shutdown, then returns nil. A Serve after
// Shutdown closes ln and returns at once, as net/http's does.
func (s *dispatchServer) Serve(ln net.Listener) error {
	s.lnMu.Lock()
	if s.stopped {
		s.lnMu.Unlock()
		ln.Close()
		return nil
	}
	s.ln = ln
	s.lnMu.Unlock()
	return s.srv.Serve(ln)
}

// Shutdown stops accepting (closing the listener removes the socket file),
// closes idle connections and waits for the requests in flight (an
// acknowledged dispatch is stored), or for ctx.
func (s *dispatchServer) Shutdown(ctx context.Context) error {
	s.lnMu.Lock()
	s.stopped = true
	ln := s.ln
	s.lnMu.Unlock()
	if ln == nil {
		return nil // Serve has not started and now will not
	}
	// Closed here too: fasthttp's Shutdown misses a listener its Serve
	// has been handed but not yet registered.
	ln.Close()
	err := s.srv.ShutdownWithContext(ctx)
	if errors.Is(err, net.ErrClosed) { // its second close of ln
		err = nil
	}
	return err
}

func (s *dispatchServer) connState(c net.Conn, state fasthttp.ConnState) {
	switch state {
	case fasthttp.StateNew:
		var cp connPeer
		if uc, ok := c.(*net.UnixConn); ok {
			p, err := peercred.Read(uc)
			cp = connPeer{p: p, ok: err == nil}
		}
		s.mu.Lock()
		s.peers[c] = cp
		s.mu.Unlock()
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		s.mu.Lock()
		delete(s.peers, c)
		s.mu.Unlock()
	}
}

func (s *dispatchServer) peer(c net.Conn) connPeer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.peers[c]
}

func (s *dispatchServer) serve(ctx *fasthttp.RequestCtx) {
	if ctx.IsPost() && string(ctx.Path()) == protocol.PathDispatch {
		s.dispatch(ctx)
		return
	}
	s.other(ctx)
}

// dispatch is POST /dispatch: store the notification and deliver it.
func (s *dispatchServer) dispatch(ctx *fasthttp.RequestCtx) {
	g := s.g
	// ParseDispatch copies what it keeps (json.RawMessage copies): the
	// body's buffer is fasthttp's, reused for the next request.
	body := ctx.PostBody()
	if len(body) > protocol.MaxDispatchBytes {
		s.refuseTooLarge(ctx, fmt.Errorf("dispatch body larger than %d bytes", protocol.MaxDispatchBytes))
		return
	}
	req, err := protocol.ParseDispatch(body)
	if err != nil {
		g.metrics.Dispatches.WithLabelValues("bad_request").Inc()
		answerError(ctx, http.StatusBadRequest, err.Error())
		return
	}
	// An untrusted caller (an analyst's runner) delivers only to itself:
	// a title and a script name it chose must never reach someone else's
	// "Run again" or "Open in Claude Code".
	cp := s.peer(ctx.Conn())
	if id := g.access.IdentifyPeer(cp.p, cp.ok); !id.MayActFor(req.User) {
		g.metrics.Dispatches.WithLabelValues("forbidden").Inc()
		g.log.Warn("dispatch socket: forbidden", slog.String("caller", id.String()), slog.String("request", "dispatch to "+strconv.Quote(req.User)))
		answerError(ctx, http.StatusForbidden, fmt.Sprintf("%s may only dispatch to its own user; dispatching to others needs %s",
			id, g.access.WhoIsTrusted()))
		return
	}
	// A notification bigger than a frame cannot fit one: refused here
	// without a trip to the committer, which checks the frame it builds.
	if len(req.Notification) > protocol.MaxFrameBytes {
		s.refuseTooLarge(ctx, protocol.ErrFrameTooLarge)
		return
	}
	res, err := g.fanout.Publish(req.User, req.Notification)
	if errors.Is(err, protocol.ErrFrameTooLarge) {
		s.refuseTooLarge(ctx, err)
		return
	}
	if errors.Is(err, hub.ErrUnavailable) { // a cluster node without NATS
		g.metrics.Dispatches.WithLabelValues("unavailable").Inc()
		g.log.Warn("dispatch refused: the store is unavailable", slog.String("user", req.User), slog.Any("error", err))
		answerError(ctx, http.StatusServiceUnavailable, "the notification store is unavailable: the notification is not acknowledged, send it again")
		return
	}
	if err != nil {
		g.metrics.Dispatches.WithLabelValues("error").Inc()
		g.log.Error("dispatch failed", slog.String("user", req.User), slog.Any("error", err))
		answerError(ctx, http.StatusInternalServerError, "could not store the notification")
		return
	}
	g.dispatchOK.Inc()
	if g.log.Enabled(ctx, slog.LevelDebug) { // the attributes cost even when not logged
		g.log.Debug("dispatched", slog.String("user", req.User), slog.Int("sent", res.Sent), slog.Uint64("seq", res.Seq))
	}
	var answer [96]byte
	ctx.Response.Header.SetContentTypeBytes(jsonType)
	ctx.SetBody(appendDispatchAnswer(answer[:0], res))
}

var jsonType = []byte("application/json")

// refuseTooLarge answers a notification whose frame the apps would refuse:
// stored nowhere, 413, so the dispatcher knows it was not delivered.
func (s *dispatchServer) refuseTooLarge(ctx *fasthttp.RequestCtx, err error) {
	s.g.metrics.Dispatches.WithLabelValues("too_large").Inc()
	answerError(ctx, http.StatusRequestEntityTooLarge, err.Error())
}

// refuse answers a request fasthttp could not read, in the socket's JSON
// error format: a body over MaxDispatchBytes (413), a malformed request
// (400), one too slow to arrive (408).
func (s *dispatchServer) refuse(ctx *fasthttp.RequestCtx, err error) {
	what := string(ctx.Path())
	if len(what) > 1 {
		what = what[1:] // "dispatch", "ack", ...
	}
	var timeout interface{ Timeout() bool }
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		if ctx.IsPost() && string(ctx.Path()) == protocol.PathDispatch {
			s.g.metrics.Dispatches.WithLabelValues("too_large").Inc()
		}
		answerError(ctx, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s body larger than %d bytes", what, protocol.MaxDispatchBytes))
	case errors.As(err, &timeout) && timeout.Timeout():
		ctx.Error("request timeout", http.StatusRequestTimeout)
	default:
		answerError(ctx, http.StatusBadRequest, "could not read the request: "+err.Error())
	}
}

// answerError is writeError for a fasthttp request.
func answerError(ctx *fasthttp.RequestCtx, status int, msg string) {
	b, err := json.Marshal(protocol.ErrorResponse{Error: msg, Code: errorCodes[status]})
	if err != nil {
		b, status = []byte(`{"error":"could not encode the answer","code":"internal"}`), http.StatusInternalServerError
	}
	ctx.SetStatusCode(status)
	ctx.Response.Header.SetContentTypeBytes(jsonType)
	ctx.SetBody(append(b, '\n'))
}
