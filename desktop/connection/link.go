package connection

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jonboulle/clockwork"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// link runs one connection from dial to its end and says why it ended.
func (c *Conn) link(ctx context.Context) error {
	// A wake-up from before this attempt is stale.
	select {
	case <-c.wake:
	default:
	}
	// The last attempt's error stays shown until a link is up.
	c.setStatus(Status{State: Connecting, Error: c.Status().Error})
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	url := c.o.URL()
	if url == "" {
		return errNoURL
	}
	var header http.Header
	if c.o.Header != nil {
		header = c.o.Header()
	}
	ws, resp, err := c.o.Dialer.DialContext(lctx, url, header)
	if err != nil {
		de := &dialError{url: url, err: err}
		if resp != nil {
			de.status = resp.StatusCode
		}
		return de
	}
	defer ws.Close()
	// No ws.SetReadLimit: readFrame bounds what is kept to MaxFrameBytes and
	// reads a larger frame past, so the link survives it (see readFrame).

	resume := c.o.Cursor()
	if resume == nil {
		// An unknown (empty) epoch asks for the whole kept history: a new
		// sign-in sees what arrived shortly before.
		resume = &protocol.Resume{}
	}
	out := &sender{ws: ws, timeout: c.writeTimeout, stuck: c.newLinkTimer(never)}
	go out.watch(lctx)
	if err := out.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: c.o.Token(), Resume: resume}); err != nil {
		return fmt.Errorf("send auth: %w", err)
	}
	hb := &heartbeat{out: out, timer: c.newLinkTimer(authTimeout),
		deadAfter: time.Duration(float64(c.o.Heartbeat) * DeadAfterPings)}
	frames := readFrames(lctx, ws, hb)

	l := &linkRun{c: c, hb: hb, last: resume, replayLeft: -1}
	defer l.end()
	for {
		var acks <-chan string // only an authenticated link sends them
		if l.authed {
			acks = c.acks
		}
		select {
		case id := <-acks:
			if err := out.send(protocol.AckFrame{Type: protocol.TypeAck, ID: id}); err != nil {
				c.Ack(id) // for the next link
				return fmt.Errorf("send ack: %w", err)
			}
		case <-ctx.Done():
			c.closeNormally(ws)
			return ctx.Err()
		case <-c.kick:
			c.closeNormally(ws)
			return errKicked
		case r := <-c.wake:
			return wakeError{r}
		case <-hb.timer.Chan():
			if !l.authed {
				return errTimeout
			}
			return errDead
		case <-l.catchUpC:
			l.catchUpC = nil
			l.replayEnded()
		case r := <-frames:
			if r.err != nil {
				if l.authed {
					return fmt.Errorf("link closed: %w", r.err)
				}
				return fmt.Errorf("link closed during sign-in: %w", r.err)
			}
			if err := l.onFrame(r.frame); err != nil {
				return err
			}
		}
	}
}

type readResult struct {
	frame
	err error
}

// readFrames reads the link's frames on a goroutine of their own until an
// error (which it delivers last) or ctx ends. Pings it answers itself once
// hb is on (see heartbeat); other frames go to the link's goroutine.
func readFrames(ctx context.Context, ws *websocket.Conn, hb *heartbeat) <-chan readResult {
	frames := make(chan readResult)
	go func() {
		for {
			var r readResult
			_, rd, err := ws.NextReader()
			if err == nil {
				r.frame, err = readFrame(rd, protocol.MaxFrameBytes)
			}
			if err == nil {
				var answered bool
				if answered, err = hb.answer(r.frame); answered && err == nil {
					continue
				}
			}
			r.err = err
			select {
			case frames <- r:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return frames
}

// heartbeat answers the gateway's pings and keeps the dead-link timer. Once
// the link is authenticated, a ping is answered on the goroutine that read
// it: it wakes no other goroutine, so the idle app's threads switch fewer
// times per heartbeat (issue 17). The link's goroutine and the reader share
// the timer and the sender, each behind its lock.
type heartbeat struct {
	on        atomic.Bool // auth_ok came: the reader answers pings
	out       *sender
	deadAfter time.Duration

	mu      sync.Mutex
	timer   clockwork.Timer // the auth timeout, then the dead-link timer
	stopped bool            // the link ended: the timer stays stopped
}

// answer answers fr if it is a ping and the link is authenticated: the link
// is alive, and the pong goes out. false: not one of those, for the link's
// goroutine. An error is the pong's (the link is lost).
func (h *heartbeat) answer(fr frame) (bool, error) {
	if !h.on.Load() || fr.tooBig {
		return false, nil
	}
	if typ, err := frameType(fr.data); err != nil || typ != protocol.TypePing {
		return false, nil
	}
	h.alive()
	return true, h.pong()
}

func (h *heartbeat) pong() error {
	if err := h.out.send(protocol.Ping{Type: protocol.TypePong}); err != nil {
		return fmt.Errorf("send pong: %w", err)
	}
	return nil
}

// alive restarts the dead-link timer: a frame came.
func (h *heartbeat) alive() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.stopped {
		h.timer.Reset(h.deadAfter)
	}
}

// stop stops the timer for good: the link ended (a reader still answering a
// ping would otherwise arm it again).
func (h *heartbeat) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	h.timer.Stop()
}

// sender writes the link's frames one at a time: the link's goroutine (the
// auth, acks) and the reader (pongs) both write, and gorilla allows one
// writer at a time.
//
// A write that has not gone out within its timeout fails, by a watchdog on
// a kernel timer (an idletimer) armed only while a write is under way, not
// by a socket write deadline: the deadline is a runtime timer, and even
// cleared after the write it stays in the runtime's timer heap until its
// time, 10 s after every pong, when the idle app woke for it (issue 17).
type sender struct {
	mu      sync.Mutex // one write at a time
	ws      *websocket.Conn
	timeout time.Duration

	stuck   clockwork.Timer // fires timeout after a write started, if it is still under way
	wmu     sync.Mutex      // guards started, between a write and the watchdog
	started time.Time       // of the write under way; zero: none
}

// never: the watchdog's timer between writes (a kernel timer set this far
// ahead costs nothing).
const never = time.Duration(1<<63 - 1)

// linkRun is one connection's state between its frames: whether auth_ok
// came, the dead-link timer, the replay being gathered and the last frame
// delivered. It lives on link's goroutine only.
type linkRun struct {
	c      *Conn
	hb     *heartbeat
	authed bool

	// The replay after auth_ok is delivered as one batch: counted down
	// from the number auth_ok announces, or, from a gateway that does not
	// announce it, gathered while frames follow each other within
	// catchUpGap.
	replayLeft int // frames of the announced replay still to come; -1: not announced
	catchUp    clockwork.Timer
	catchUpC   <-chan time.Time
	pending    []protocol.NotificationFrame

	last *protocol.Resume // the newest frame delivered: older ones are dropped
}

// replayEnded delivers the gathered replay at once and says the link has
// caught up: what comes from now on is new.
func (l *linkRun) replayEnded() {
	l.flush(true)
	s := l.c.Status()
	s.CatchingUp = false
	l.c.setStatus(s)
}

// end delivers what is still gathered and stops the timers.
func (l *linkRun) end() {
	l.hb.stop()
	if l.catchUp != nil {
		l.catchUp.Stop()
	}
	l.flush(true)
}

func (l *linkRun) flush(replayed bool) {
	if len(l.pending) > 0 && l.c.o.OnNotifications != nil {
		l.c.o.OnNotifications(l.pending, replayed)
	}
	l.pending = nil
}

// onFrame handles one frame; an error ends the link.
func (l *linkRun) onFrame(fr frame) error {
	typ, err := frameType(fr.data)
	if fr.tooBig || err != nil {
		var ok bool
		if fr, ok = l.unreadable(fr); !ok {
			return nil
		}
		typ = protocol.TypeNotification
	}
	if !l.authed {
		switch typ {
		case protocol.TypeAuthOK:
			l.onAuthOK(fr.data)
		case protocol.TypeAuthError:
			return l.c.authFailed(fr.data, "auth refused")
		default:
			l.c.log.Warn("unexpected frame before auth_ok", slog.String("type", typ))
		}
		return nil
	}
	l.hb.alive() // any frame proves the link is alive
	switch typ {
	case protocol.TypePing:
		return l.onPing()
	case protocol.TypeNotification:
		l.onNotification(fr)
	case protocol.TypeAcked:
		l.onAcked(fr)
	case protocol.TypeAuthError: // e.g. the token was revoked
		return l.c.authFailed(fr.data, "the gateway ended the session")
	}
	return nil
}

// unreadable takes a frame the app cannot read (too large, or not JSON).
// A notification's (one with a place in the history) comes back with no
// data and its head, to be shown as an entry and skipped by seq; anything
// else is logged and ignored (ok false).
func (l *linkRun) unreadable(fr frame) (frame, bool) {
	h := fr.head
	if !fr.tooBig {
		h = scanHead(fr.data)
	}
	if !l.authed || (h.Type != protocol.TypeNotification && h.Seq == 0) {
		l.c.log.Warn("ignoring a frame the app cannot read", slog.Int64("bytes", fr.size),
			slog.Bool("too_large", fr.tooBig), slog.String("type", h.Type))
		return fr, false
	}
	fr.data, fr.head = nil, h
	return fr, true
}

func (l *linkRun) onAuthOK(data []byte) {
	var ok protocol.AuthOK
	json.Unmarshal(data, &ok)
	l.authed = true
	l.c.bo.Reset()
	l.hb.alive()
	l.hb.on.Store(true)
	if ok.Replay != nil {
		l.replayLeft = *ok.Replay // the gateway says how many follow
	} else {
		l.catchUp = l.c.o.Clock.NewTimer(catchUpGap)
		l.catchUpC = l.catchUp.Chan()
	}
	l.c.log.Info("connected", slog.String("user", ok.Username))
	l.c.setStatus(Status{State: Connected, Username: ok.Username, CatchingUp: l.replayLeft > 0 || l.catchUpC != nil})
}

// onPing answers a ping the reader passed on (one read before auth_ok was
// handled).
func (l *linkRun) onPing() error { return l.hb.pong() }

// onNotification delivers a notification frame, or gathers it while the
// replay lasts; a frame already delivered is dropped.
func (l *linkRun) onNotification(fr frame) {
	var f protocol.NotificationFrame
	inReplay := l.replayLeft > 0
	if inReplay {
		l.replayLeft--
	}
	if fr.data == nil {
		f = l.c.unreadable(fr)
	} else if err := json.Unmarshal(fr.data, &f); err != nil {
		// valid JSON, but a field of the wrong type
		fr.head = scanHead(fr.data)
		f = l.c.unreadable(fr)
	}
	if f.Seq > 0 && l.last != nil && f.Epoch == l.last.Epoch && f.Seq <= l.last.Seq {
		if inReplay && l.replayLeft == 0 {
			l.replayEnded() // the replay's last frame was one seen already
		}
		return
	}
	if f.Seq > 0 {
		l.last = &protocol.Resume{Epoch: f.Epoch, Seq: f.Seq}
	}
	l.pending = append(l.pending, f)
	switch {
	case inReplay:
		if l.replayLeft == 0 {
			l.replayEnded() // the whole announced replay, at once
		}
	case l.catchUpC != nil:
		l.catchUp.Reset(catchUpGap)
	default:
		l.flush(false)
	}
}

// onAcked delivers an acknowledgement event. It is counted in the
// announced replay like a notification, and delivered after the
// notifications gathered before it, so the alert it names is stored first.
func (l *linkRun) onAcked(fr frame) {
	inReplay := l.replayLeft > 0
	if inReplay {
		l.replayLeft--
	}
	if inReplay && l.replayLeft == 0 {
		defer l.replayEnded() // the replay's last frame; after the ack is delivered
	}
	var f protocol.AckedFrame
	if err := json.Unmarshal(fr.data, &f); err != nil || f.ID == "" {
		l.c.log.Warn("ignoring an acked frame the app cannot read", slog.Int64("bytes", fr.size))
		return
	}
	if f.Seq > 0 && l.last != nil && f.Epoch == l.last.Epoch && f.Seq <= l.last.Seq {
		return // seen already
	}
	if f.Seq > 0 {
		l.last = &protocol.Resume{Epoch: f.Epoch, Seq: f.Seq}
	}
	l.flush(inReplay || l.catchUpC != nil)
	if l.c.o.OnAcked != nil {
		l.c.o.OnAcked(f)
	}
}

// unreadable stands in for a notification the app could not read (too
// large, or not valid JSON): an entry in the list that says so, carrying
// the frame's seq and epoch so the cursor moves past it and the gateway does
// not replay it forever.
func (c *Conn) unreadable(fr frame) protocol.NotificationFrame {
	f := protocol.NotificationFrame{Type: protocol.TypeNotification, Seq: fr.head.Seq, Epoch: fr.head.Epoch}
	where := "(no place in the history)"
	if f.Seq > 0 {
		where = fmt.Sprintf("(seq %d)", f.Seq)
	}
	if fr.tooBig {
		f.Title = "An alert was too large to show " + where
		f.Message = fmt.Sprintf("The gateway sent an alert of %d bytes; the app shows alerts of up to %d bytes. "+
			"Ask for a shorter message from the script.", fr.size, protocol.MaxFrameBytes)
	} else {
		f.Title = "An alert could not be read " + where
		f.Message = fmt.Sprintf("The gateway sent an alert of %d bytes that is not a valid notification.", fr.size)
	}
	c.log.Warn("skipped a notification the app cannot read", slog.Uint64("seq", f.Seq), slog.String("epoch", f.Epoch),
		slog.Int64("bytes", fr.size), slog.Bool("too_large", fr.tooBig))
	return f
}

// authFailed reports an auth_error frame. A refused token (its code says
// so, or it has none: an older gateway) waits in AuthFailed until the app
// has refreshed the token or signed out; any other refusal (too many
// connections, a malformed frame, the gateway's own trouble) is not the
// token's fault and is retried through the backoff, without a refresh.
func (c *Conn) authFailed(frame []byte, what string) error {
	var ae protocol.AuthError
	json.Unmarshal(frame, &ae)
	if !ae.TokenRefused() {
		c.log.Warn(what+"; not the token: retrying later", slog.String("reason", ae.Message), slog.String("code", ae.Code))
		return &refusedError{code: ae.Code, msg: ae.Message}
	}
	c.log.Warn(what, slog.String("reason", ae.Message), slog.String("code", ae.Code))
	c.setStatus(Status{State: AuthFailed, Error: ae.Message})
	if c.o.OnAuthError != nil {
		c.o.OnAuthError(ae.Message)
	}
	return errAuth
}

// send sends one frame within the sender's timeout.
func (s *sender) send(v any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wmu.Lock()
	s.started = time.Now()
	s.stuck.Reset(s.timeout)
	s.wmu.Unlock()
	err := s.ws.WriteJSON(v) // gorilla clears the socket's deadline first (none was set)
	s.wmu.Lock()
	s.started = time.Time{}
	s.stuck.Reset(never)
	s.wmu.Unlock()
	return err
}

// watch fails a write stuck past the timeout (its socket deadline passes at
// once, so the write returns a timeout error and the link ends), until ctx
// ends.
func (s *sender) watch(ctx context.Context) {
	defer s.stuck.Stop()
	for {
		select {
		case <-s.stuck.Chan():
			s.wmu.Lock()
			if !s.started.IsZero() && time.Since(s.started) >= s.timeout {
				s.ws.NetConn().SetWriteDeadline(time.Now())
			}
			s.wmu.Unlock()
		case <-ctx.Done():
			return
		}
	}
}

func (c *Conn) closeNormally(ws *websocket.Conn) {
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(time.Second))
}
