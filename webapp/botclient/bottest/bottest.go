// Package bottest is a local stand-in for the Telegram bot's unix socket, for
// tests: it answers /send and /send_photo as the bot does (JSON in, {"ok":
// true} out, 400 on a bad body), records every request, and for a photo
// reads the file the way the real bot must, recording what it found.
package bottest

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/internal/safeopen"
	"github.com/keboola/analyst-alerts/webapp/botclient"
)

// Request is one call the stand-in received.
type Request struct {
	Path      string
	User      string
	Text      string
	ParseMode string
	PhotoPath string
	Caption   string
	Kind      string // protocol.Kind* of a system alert
	ID        string // the alert's notification id (optional; the Acknowledge button)
	// Photo is the content of PhotoPath when the bot could read it.
	Photo    []byte
	PhotoErr string
}

// Server is a running stand-in.
type Server struct {
	Socket string

	mu     sync.Mutex
	reqs   []Request
	status int
	notify chan struct{}
	srv    *http.Server
	ln     net.Listener
}

// Start listens on a fresh socket in a temporary folder; the server stops
// when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	// Unix socket paths are limited to ~108 bytes; t.TempDir() can be long.
	dir, err := os.MkdirTemp("", "bot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Server{Socket: filepath.Join(dir, "bot.sock"), notify: make(chan struct{}, 1)}
	s.ln, err = net.Listen("unix", s.Socket)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+botclient.PathSend, s.handle)
	mux.HandleFunc("POST "+botclient.PathSendPhoto, s.handle)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(s.ln) }()
	t.Cleanup(s.Stop)
	return s
}

// Stop closes the socket (and removes it, as a stopped bot does).
func (s *Server) Stop() {
	_ = s.srv.Close()
	_ = os.Remove(s.Socket)
}

// FailWith makes every later request answer status (0: succeed again).
func (s *Server) FailWith(status int) {
	s.mu.Lock()
	s.status = status
	s.mu.Unlock()
}

// Requests is a copy of what was received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	var body struct {
		User      string `json:"user"`
		Text      string `json:"text"`
		ParseMode string `json:"parse_mode"`
		PhotoPath string `json:"photo_path"`
		Caption   string `json:"caption"`
		Kind      string `json:"kind"`
		ID        string `json:"id"`
	}
	w.Header().Set("Content-Type", "application/json")
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "bad JSON: " + err.Error()})
		return
	}
	req := Request{Path: r.URL.Path, User: body.User, Text: body.Text, ParseMode: body.ParseMode,
		PhotoPath: body.PhotoPath, Caption: body.Caption, Kind: body.Kind, ID: body.ID}
	var missing error
	switch {
	case body.User == "":
		missing = errors.New("user is required")
	case r.URL.Path == botclient.PathSend && body.Text == "":
		missing = errors.New("text is required")
	case r.URL.Path == botclient.PathSendPhoto && body.PhotoPath == "":
		missing = errors.New("photo_path is required")
	}
	if r.URL.Path == botclient.PathSendPhoto && body.PhotoPath != "" {
		// As the real bot must: the path comes from a dispatcher, so no
		// link is followed and a FIFO cannot block the handler.
		data, err := safeopen.ReadFile(body.PhotoPath, 10<<20)
		req.Photo = data
		if err != nil {
			req.PhotoErr = err.Error()
		}
	}
	s.mu.Lock()
	status := s.status
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
	switch {
	case missing != nil:
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": missing.Error()})
	case status != 0:
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "stand-in told to fail"})
	default:
		_ = json.NewEncoder(w).Encode(map[string]bool{"ok": true})
	}
}
