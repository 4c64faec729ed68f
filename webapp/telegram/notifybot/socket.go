package notifybot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/notifyimage"
	"github.com/keboola/analyst-alerts/webapp/telegram/chatlinks"
	"github.com/keboola/analyst-alerts/webapp/telegram/outbox"
)

// The socket's limits.
const (
	MaxBodyBytes  = 64 << 10 // a 4096-character text is at most ~16 KB of UTF-8, escaped ~6x at worst in JSON
	MaxPhotoBytes = 10 << 20 // Telegram's limit for a photo
)

// Error codes of the socket's JSON errors ({"error","code"}).
const (
	CodeBadRequest = "bad_request"
	CodeTooLarge   = "too_large"
	CodeNotLinked  = "not_linked"
	CodeBadPhoto   = "bad_photo"
	CodeInternal   = "internal"
)

// Socket serves the bot socket's contract, exactly what webapp/botclient
// speaks: POST /send {"user","text","parse_mode"}, POST /send_photo
// {"user","photo_path","caption","parse_mode"}, GET /health. A message is
// answered {"ok":true} once it is in the outbox on disk.
type Socket struct {
	Links  *chatlinks.Store
	Box    *outbox.Outbox
	Sender *Sender
	Log    *slog.Logger
	// Identity reports the bot's @name and start link in /health (""
	// until getMe answered).
	Identity func() (username, startURL string)
}

// Handler is the socket's routes.
func (s *Socket) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+botclient.PathSend, s.send)
	mux.HandleFunc("POST "+botclient.PathSendPhoto, s.send)
	mux.HandleFunc("GET "+botclient.PathHealth, s.health)
	return mux
}

type sendBody struct {
	User      *string `json:"user"`
	Text      *string `json:"text"`
	ParseMode string  `json:"parse_mode"`
	PhotoPath *string `json:"photo_path"`
	Caption   string  `json:"caption"`
}

type httpError struct {
	status int
	code   string
	msg    string
}

func (s *Socket) send(w http.ResponseWriter, r *http.Request) {
	photo := r.URL.Path == botclient.PathSendPhoto
	m, herr := s.message(w, r, photo)
	if herr != nil {
		if herr.status >= 500 {
			s.Log.Error("socket: could not queue a message", slog.String("path", r.URL.Path), slog.String("error", herr.msg))
		}
		writeJSON(w, herr.status, map[string]string{"error": herr.msg, "code": herr.code})
		return
	}
	if err := s.Box.Put(m); err != nil {
		s.Log.Error("socket: could not queue a message", slog.Any("error", err))
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "could not queue the message", "code": CodeInternal})
		return
	}
	s.Sender.Enqueue(outbox.Entry{Seq: m.Seq, ChatID: m.ChatID})
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// message reads and checks a request into the message to queue.
func (s *Socket) message(w http.ResponseWriter, r *http.Request, photo bool) (*outbox.Message, *httpError) {
	var b sendBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err := dec.Decode(&b); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &httpError{http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("body larger than %d bytes", MaxBodyBytes)}
		}
		return nil, &httpError{http.StatusBadRequest, CodeBadRequest, "body is not a JSON object: " + err.Error()}
	}
	if dec.More() {
		return nil, &httpError{http.StatusBadRequest, CodeBadRequest, "body has data after the JSON object"}
	}
	if b.User == nil || strings.TrimSpace(*b.User) == "" {
		return nil, &httpError{http.StatusBadRequest, CodeBadRequest, "user is required"}
	}
	m := &outbox.Message{User: *b.User, Queued: time.Now().UTC()}
	mode, ok := parseMode(b.ParseMode, photo)
	if !ok {
		return nil, &httpError{http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("parse_mode %q is not Markdown, MarkdownV2 or HTML", b.ParseMode)}
	}
	m.ParseMode = mode
	if photo {
		if b.PhotoPath == nil || *b.PhotoPath == "" {
			return nil, &httpError{http.StatusBadRequest, CodeBadRequest, "photo_path is required"}
		}
		data, name, err := readPhoto(*b.PhotoPath)
		if err != nil {
			return nil, &httpError{http.StatusBadRequest, CodeBadPhoto, err.Error()}
		}
		m.Photo, m.PhotoName, m.Text = data, name, b.Caption
	} else {
		if b.Text == nil || strings.TrimSpace(*b.Text) == "" {
			return nil, &httpError{http.StatusBadRequest, CodeBadRequest, "text is required"}
		}
		m.Text = *b.Text
	}
	link, ok, err := s.Links.Chat(m.User)
	if err != nil {
		return nil, &httpError{http.StatusInternalServerError, CodeInternal, "could not read the linked chats: " + err.Error()}
	}
	if !ok {
		return nil, &httpError{http.StatusNotFound, CodeNotLinked, fmt.Sprintf("user %q has no linked Telegram chat", m.User)}
	}
	m.ChatID = link.ChatID
	return m, nil
}

// parseMode: /send without one is Markdown (the old bot's default);
// /send_photo without one is plain text (botclient's captions are not
// escaped for any mode).
func parseMode(v string, photo bool) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		if photo {
			return "", true
		}
		return "Markdown", true
	case "markdown":
		return "Markdown", true
	case "markdownv2":
		return "MarkdownV2", true
	case "html":
		return "HTML", true
	case "none", "plain":
		return "", true
	}
	return "", false
}

// readPhoto reads a PNG or JPEG file (the content is decoded, not the name
// trusted) up to Telegram's size limit.
func readPhoto(path string) ([]byte, string, error) {
	if !filepath.IsAbs(path) {
		return nil, "", fmt.Errorf("photo_path %q is not an absolute path", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("photo_path: cannot read the file: %v", errors.Unwrap(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, "", fmt.Errorf("photo_path %q is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxPhotoBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("photo_path: cannot read the file: %v", err)
	}
	if len(data) > MaxPhotoBytes {
		return nil, "", fmt.Errorf("photo_path: the file is larger than Telegram's %d MB for a photo", MaxPhotoBytes>>20)
	}
	ext, err := notifyimage.Check(data)
	if err != nil {
		return nil, "", fmt.Errorf("photo_path: not a readable PNG or JPEG image: %v", err)
	}
	return data, "chart" + ext, nil
}

func (s *Socket) health(w http.ResponseWriter, _ *http.Request) {
	users, err := s.Links.Users()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"status": "error", "error": err.Error()})
		return
	}
	h := botclient.Health{Status: "ok", LinkedUsers: len(users), Queued: s.Box.Len()}
	h.Sent, h.Failed = s.Sender.Stats()
	if s.Identity != nil {
		h.BotUsername, h.StartURL = s.Identity()
	}
	writeJSON(w, http.StatusOK, h)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ListenUnix binds the socket: its folder is created, a stale socket file
// left by a crash is replaced (never one a live bot answers on, nor a file
// that is not a socket), and the socket is made group-accessible (0770) for
// the dispatchers' group.
func ListenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create socket folder: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket; refusing to replace it", path)
		}
		if c, err := net.DialTimeout("unix", path, 500*time.Millisecond); err == nil {
			c.Close()
			return nil, fmt.Errorf("another notify-bot is already serving %s", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on bot socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o770); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod bot socket: %w", err)
	}
	return ln, nil
}
