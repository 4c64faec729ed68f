// Package webappstandin is a faithful local stand-in for the webapp's
// desktop API, used by the desktop app's tests (the webapp is another
// part, built at the same time). It implements exactly the contract in the
// product brief with gateway/protocol's types, verifies tokens for real
// (HS256, issuer, expiry, refresh grace) and dispatches script results
// through the real gateway's dispatch socket.
package webappstandin

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// Options configures the stand-in.
type Options struct {
	Secret  []byte
	Issuer  string
	Socket  string                       // gateway dispatch socket for script results; empty: none
	Scripts []protocol.ScriptInfo        // what GET /api/desktop/scripts lists
	Images  map[string][]byte            // name (e.g. "abc.png") -> bytes
	Now     func() time.Time             // default time.Now
	Refuse  func(path, user string) bool // refuse a call with 401 (e.g. an unlinked user)
}

// Server is the stand-in; it records what it was asked.
type Server struct {
	o         Options
	mu        sync.Mutex
	Refreshes int
	Runs      []string
	Images    int
}

// New returns the stand-in.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Server{o: o}
}

// Count returns the number of refreshes, runs and image fetches so far.
func (s *Server) Count() (refreshes, runs, images int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Refreshes, len(s.Runs), s.Images
}

// Handler serves the API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+protocol.PathDesktopRefresh, s.refresh)
	mux.HandleFunc("GET "+protocol.PathDesktopScripts, s.scripts)
	mux.HandleFunc("POST "+protocol.PathDesktopRunScript, s.run)
	mux.HandleFunc("GET "+protocol.PathImagesPrefix+"{name}", s.image)
	return mux
}

func (s *Server) user(w http.ResponseWriter, r *http.Request, refresh bool) (string, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		writeJSON(w, http.StatusUnauthorized, protocol.ErrorResponse{Error: "Missing token"})
		return "", false
	}
	verify := protocol.VerifyToken
	if refresh {
		verify = protocol.VerifyForRefresh
	}
	c, err := verify(s.o.Secret, s.o.Issuer, tok, s.o.Now())
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, protocol.ErrorResponse{Error: err.Error()})
		return "", false
	}
	if s.o.Refuse != nil && s.o.Refuse(r.URL.Path, c.Subject) {
		writeJSON(w, http.StatusUnauthorized, protocol.ErrorResponse{Error: "Token has been revoked"})
		return "", false
	}
	return c.Subject, true
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	user, ok := s.user(w, r, true)
	if !ok {
		return
	}
	tok, _, err := protocol.IssueToken(s.o.Secret, s.o.Issuer, user, s.o.Now())
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, protocol.ErrorResponse{Error: err.Error()})
		return
	}
	s.mu.Lock()
	s.Refreshes++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, protocol.RefreshResponse{Token: tok})
}

func (s *Server) scripts(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.user(w, r, false); !ok {
		return
	}
	list := s.o.Scripts
	if list == nil {
		list = []protocol.ScriptInfo{}
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) run(w http.ResponseWriter, r *http.Request) {
	user, ok := s.user(w, r, false)
	if !ok {
		return
	}
	var req protocol.RunScriptRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil || req.Name == "" {
		writeJSON(w, http.StatusBadRequest, protocol.ErrorResponse{Error: "Missing script name"})
		return
	}
	var found *protocol.ScriptInfo
	for i := range s.o.Scripts {
		if s.o.Scripts[i].Name == req.Name {
			found = &s.o.Scripts[i]
		}
	}
	if found == nil {
		writeJSON(w, http.StatusNotFound, protocol.ErrorResponse{Error: "Script not found: " + req.Name})
		return
	}
	s.mu.Lock()
	s.Runs = append(s.Runs, req.Name)
	n := len(s.Runs)
	s.mu.Unlock()
	if s.o.Socket != "" {
		c := protocol.NewClient(s.o.Socket)
		defer c.Close()
		_, err := c.Dispatch(context.Background(), user, protocol.Notification{
			ID:    "run-" + found.Stem + "-" + time.Now().Format("150405.000") + "-" + string(rune('a'+n%26)),
			Title: found.Stem + " ran", Message: "Manual run finished.", Script: found.Stem,
			Timestamp: s.o.Now().UTC().Format(time.RFC3339),
		})
		if err != nil {
			writeJSON(w, http.StatusBadGateway, protocol.ErrorResponse{Error: err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, protocol.OKResponse{OK: true})
}

func (s *Server) image(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.user(w, r, false); !ok {
		return
	}
	b, ok := s.o.Images[r.PathValue("name")]
	if !ok {
		writeJSON(w, http.StatusNotFound, protocol.ErrorResponse{Error: "Image not found"})
		return
	}
	s.mu.Lock()
	s.Images++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "image/png")
	w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
