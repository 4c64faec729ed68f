package notifybot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/peercred"
	"github.com/keboola/analyst-alerts/internal/safeopen"
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

// The error codes of the socket's JSON errors ({"error","code"}) are
// botclient's, the one definition of the contract.
const (
	CodeBadRequest = botclient.CodeBadRequest
	CodeTooLarge   = botclient.CodeTooLarge
	CodeNotLinked  = botclient.CodeNotLinked
	CodeBadPhoto   = botclient.CodeBadPhoto
	CodeForbidden  = botclient.CodeForbidden
	CodeInternal   = botclient.CodeInternal
)

// Socket serves the bot socket's contract, exactly what webapp/botclient
// speaks: POST /send {"user","text","parse_mode"}, POST /send_photo
// {"user","photo_path","caption","parse_mode"}, GET /health. A message is
// answered {"ok":true} once it is in the outbox on disk.
//
// Every analyst's notify-runner may open the socket, so opening it proves
// nothing; the kernel tells who connected (internal/peercred, the
// server's ConnContext must be peercred.ConnContext). A trusted caller
// (root, the bot's own user, NOTIFY_BOT_TRUSTED_GROUP: the webapp) may send
// to anyone; any other caller only for the user its uid names, and only a
// photo it owns. /health and /metrics are open to every caller: they hold
// counts and the bot's public @name, nothing about any user.
type Socket struct {
	Access *peercred.Access
	Links  *chatlinks.Store
	Box    *outbox.Outbox
	Sender *Sender
	// Metrics counts what the socket accepts and refuses, and is served
	// at GET /metrics.
	Metrics *Metrics
	Log     *slog.Logger
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
	mux.Handle("GET "+botclient.PathMetrics, s.Metrics.Handler())
	return mux
}

type sendBody struct {
	User      *string `json:"user"`
	Text      *string `json:"text"`
	ParseMode string  `json:"parse_mode"`
	PhotoPath *string `json:"photo_path"`
	Caption   string  `json:"caption"`
	ID        string  `json:"id"` // the alert's notification id (optional): Acknowledge button
	// DisableNotification: deliver without a sound (quiet hours); optional.
	DisableNotification bool `json:"disable_notification"`
	// Script: the alert's script (stem), for its Snooze button; optional.
	Script string `json:"script"`
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
		s.Metrics.Refused.WithLabelValues(herr.code).Inc()
		writeJSON(w, herr.status, map[string]string{"error": herr.msg, "code": herr.code})
		return
	}
	if err := s.Box.Put(m); err != nil {
		s.Metrics.Refused.WithLabelValues(CodeInternal).Inc()
		s.Log.Error("socket: could not queue a message", slog.Any("error", err))
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "could not queue the message", "code": CodeInternal})
		return
	}
	kind := "text"
	if photo {
		kind = "photo"
	}
	s.Metrics.Accepted.WithLabelValues(kind).Inc()
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
	// Checked before anything else is looked at (the photo above all):
	// an analyst's text must never reach another user's chat.
	id := s.Access.Identify(r.Context())
	if !id.MayActFor(*b.User) {
		s.Log.Warn("bot socket: forbidden", slog.String("caller", id.String()), slog.String("request", r.URL.Path),
			slog.String("user", *b.User))
		return nil, &httpError{http.StatusForbidden, CodeForbidden, fmt.Sprintf("%s may only send to its own user; sending to others needs %s",
			id, s.Access.WhoIsTrusted())}
	}
	m := &outbox.Message{User: *b.User, Queued: time.Now().UTC(), DisableNotification: b.DisableNotification,
		Script: b.Script}
	if b.ID != "" {
		if err := protocol.CheckAckID(b.ID); err != nil {
			return nil, &httpError{http.StatusBadRequest, CodeBadRequest, err.Error()}
		}
		m.AlertID = b.ID
	}
	mode, ok := parseMode(b.ParseMode, photo)
	if !ok {
		return nil, &httpError{http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("parse_mode %q is not Markdown, MarkdownV2 or HTML", b.ParseMode)}
	}
	m.ParseMode = mode
	if photo {
		if b.PhotoPath == nil || *b.PhotoPath == "" {
			return nil, &httpError{http.StatusBadRequest, CodeBadRequest, "photo_path is required"}
		}
		data, name, herr := s.readPhoto(*b.PhotoPath, id)
		if herr != nil {
			return nil, herr
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
// trusted) up to Telegram's size limit, through safeopen: a symbolic link
// (to a file the bot may read and the caller may not) or a FIFO (which
// would hold the handler in open(2) for ever) is refused. For a caller
// that is not trusted the file must be its own (its uid owns the opened
// file): the bot must not read for an analyst what the analyst could not
// read. The runner sends the chart it published, which it owns.
func (s *Socket) readPhoto(path string, caller peercred.Identity) ([]byte, string, *httpError) {
	bad := func(format string, a ...any) *httpError {
		return &httpError{http.StatusBadRequest, CodeBadPhoto, fmt.Sprintf(format, a...)}
	}
	if !filepath.IsAbs(path) {
		return nil, "", bad("photo_path %q is not an absolute path", path)
	}
	f, fi, err := safeopen.Open(path, MaxPhotoBytes)
	switch {
	case errors.Is(err, safeopen.ErrTooLarge):
		return nil, "", bad("photo_path: the file is larger than Telegram's %d MB for a photo", MaxPhotoBytes>>20)
	case errors.Is(err, safeopen.ErrNotRegular), errors.Is(err, safeopen.ErrSymlink):
		return nil, "", bad("photo_path %q is not a regular file (a symbolic link, a folder or a FIFO is refused)", path)
	case err != nil:
		return nil, "", bad("photo_path: cannot read the file: %v", errors.Unwrap(err))
	}
	defer f.Close()
	if !caller.Trusted {
		if owner, ok := safeopen.Owner(fi); !ok || uint32(owner) != caller.UID {
			s.Log.Warn("bot socket: photo refused, not the caller's file", slog.String("caller", caller.String()),
				slog.String("photo_path", path))
			return nil, "", &httpError{http.StatusForbidden, CodeForbidden,
				fmt.Sprintf("photo_path: %s may only send a file it owns (such as the chart notify-runner publishes)", caller)}
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxPhotoBytes+1))
	if err != nil {
		return nil, "", bad("photo_path: cannot read the file: %v", err)
	}
	if len(data) > MaxPhotoBytes {
		return nil, "", bad("photo_path: the file is larger than Telegram's %d MB for a photo", MaxPhotoBytes>>20)
	}
	ext, err := notifyimage.Check(data)
	if err != nil {
		return nil, "", bad("photo_path: not a readable PNG or JPEG image: %v", err)
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
