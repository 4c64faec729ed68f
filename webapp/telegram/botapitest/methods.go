package botapitest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// apiError is the Bot API's error body.
type apiError struct {
	status     int
	desc       string
	retryAfter int
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/bot") // "<token>/<method>"
	token, method, ok := strings.Cut(rest, "/")
	if !ok || token != s.Token {
		writeAPI(w, nil, &apiError{status: 401, desc: "Unauthorized"})
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeAPI(w, nil, &apiError{status: 400, desc: "Bad Request: " + err.Error()})
		return
	}
	s.mu.Lock()
	s.calls[method]++
	s.signal() // a Wait on a call count (CallsLocked) wakes now, not at the next message
	s.mu.Unlock()
	var (
		result any
		aerr   *apiError
	)
	switch method {
	case "getMe":
		result = map[string]any{"id": s.botID(), "is_bot": true, "first_name": s.BotUsername, "username": s.BotUsername}
	case "getUpdates":
		result, aerr = s.getUpdates(r.Context(), p)
	case "setWebhook":
		s.mu.Lock()
		s.webhook, s.secret = p.get("url"), p.get("secret_token")
		s.signal()
		s.mu.Unlock()
		result = true
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook, s.secret = "", ""
		s.signal()
		s.mu.Unlock()
		result = true
	case "getWebhookInfo":
		s.mu.Lock()
		result = map[string]any{"url": s.webhook, "pending_update_count": 0}
		s.mu.Unlock()
	case "sendMessage", "sendPhoto":
		result, aerr = s.send(method, p)
	case "editMessageText", "editMessageCaption":
		result, aerr = s.edit(method, p)
	case "answerCallbackQuery":
		s.mu.Lock()
		c := s.chats[s.callbacks[p.get("callback_query_id")]]
		if c == nil {
			aerr = &apiError{status: 400, desc: "Bad Request: query is too old and response timeout expired or query ID is invalid"}
		} else {
			c.Answers = append(c.Answers, p.get("text"))
			s.signal()
			result = true
		}
		s.mu.Unlock()
	case "setMyCommands", "deleteMyCommands":
		result = true
	default:
		aerr = &apiError{status: 404, desc: "Not Found"}
	}
	writeAPI(w, result, aerr)
}

// edit replaces a bot message's text (or a photo's caption) and its
// buttons, as Telegram does: the text is checked like a send's, an edit
// that changes nothing is refused ("message is not modified"), and
// reply_markup left out removes the buttons.
func (s *Server) edit(method string, p params) (any, *apiError) {
	chatID, err := strconv.ParseInt(p.get("chat_id"), 10, 64)
	if err != nil {
		return nil, &apiError{status: 400, desc: "Bad Request: chat_id is empty"}
	}
	msgID, _ := strconv.Atoi(p.get("message_id"))
	text, limit := p.get("text"), 4096
	if method == "editMessageCaption" {
		text, limit = p.get("caption"), 1024
	}
	plain, err := parse(text, p.get("parse_mode"))
	if err != nil {
		return nil, &apiError{status: 400, desc: "Bad Request: can't parse entities: " + err.Error()}
	}
	if n := len(utf16.Encode([]rune(plain))); n > limit || (method == "editMessageText" && strings.TrimSpace(text) == "") {
		return nil, &apiError{status: 400, desc: "Bad Request: message text is empty or too long"}
	}
	var buttons [][]Button
	if rm := p.get("reply_markup"); rm != "" {
		var kb struct {
			Rows [][]Button `json:"inline_keyboard"`
		}
		if err := json.Unmarshal([]byte(rm), &kb); err != nil {
			return nil, &apiError{status: 400, desc: "Bad Request: can't parse reply keyboard markup JSON object"}
		}
		buttons = kb.Rows
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil, &apiError{status: 400, desc: "Bad Request: chat not found"}
	}
	for i := range c.Messages {
		m := &c.Messages[i]
		if m.ID != msgID || !m.FromBot {
			continue
		}
		if (method == "editMessageCaption") != (m.Photo != nil) {
			return nil, &apiError{status: 400, desc: "Bad Request: there is no text in the message to edit"}
		}
		if m.Text == text && m.ParseMode == p.get("parse_mode") && len(m.Buttons) == 0 && len(buttons) == 0 {
			return nil, &apiError{status: 400, desc: "Bad Request: message is not modified"}
		}
		m.Text, m.ParseMode, m.Buttons = text, p.get("parse_mode"), buttons
		m.Edits++
		s.signal()
		return s.messageJSON(c, *m, true), nil
	}
	return nil, &apiError{status: 400, desc: "Bad Request: message to edit not found"}
}

func (s *Server) getUpdates(ctx context.Context, p params) (any, *apiError) {
	offset, _ := strconv.Atoi(p.get("offset"))
	timeout, _ := strconv.Atoi(p.get("timeout"))
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.webhook != "" {
			s.mu.Unlock()
			return nil, &apiError{status: 409, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
		}
		// An offset confirms every update before it: they are gone.
		keep := s.updates[:0]
		var out []json.RawMessage
		for _, u := range s.updates {
			var head struct {
				ID int `json:"update_id"`
			}
			_ = json.Unmarshal(u, &head)
			if head.ID >= offset {
				keep = append(keep, u)
				out = append(out, u)
			}
		}
		s.updates = keep
		ch := s.changed
		s.mu.Unlock()
		if len(out) > 0 || timeout <= 0 {
			if out == nil {
				out = []json.RawMessage{}
			}
			return out, nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return []json.RawMessage{}, nil
		case <-ctx.Done():
			return []json.RawMessage{}, nil
		}
	}
}

func (s *Server) send(method string, p params) (any, *apiError) {
	chatID, err := strconv.ParseInt(p.get("chat_id"), 10, 64)
	if err != nil {
		return nil, &apiError{status: 400, desc: "Bad Request: chat_id is empty"}
	}
	m := Message{FromBot: true, ParseMode: p.get("parse_mode"), Date: time.Now(), Silent: p.get("disable_notification") == "true"}
	limit := 4096
	if method == "sendPhoto" {
		m.Text, limit = p.get("caption"), 1024
		m.Photo = p.files["photo"]
		if m.Photo == nil {
			return nil, &apiError{status: 400, desc: "Bad Request: there is no photo in the request"}
		}
	} else {
		m.Text = p.get("text")
		if strings.TrimSpace(m.Text) == "" {
			return nil, &apiError{status: 400, desc: "Bad Request: message text is empty"}
		}
	}
	plain, err := parse(m.Text, m.ParseMode)
	if err != nil {
		return nil, &apiError{status: 400, desc: "Bad Request: can't parse entities: " + err.Error()}
	}
	if n := len(utf16.Encode([]rune(plain))); n > limit {
		if method == "sendPhoto" {
			return nil, &apiError{status: 400, desc: "Bad Request: message caption is too long"}
		}
		return nil, &apiError{status: 400, desc: "Bad Request: message is too long"}
	}
	if rm := p.get("reply_markup"); rm != "" {
		var kb struct {
			Rows [][]Button `json:"inline_keyboard"`
		}
		if err := json.Unmarshal([]byte(rm), &kb); err != nil {
			return nil, &apiError{status: 400, desc: "Bad Request: can't parse reply keyboard markup JSON object"}
		}
		m.Buttons = kb.Rows
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil, &apiError{status: 400, desc: "Bad Request: chat not found"}
	}
	if c.Blocked {
		return nil, &apiError{status: 403, desc: "Forbidden: bot was blocked by the user"}
	}
	if s.fail429 > 0 {
		s.fail429--
		return nil, &apiError{status: 429, desc: fmt.Sprintf("Too Many Requests: retry after %d", s.retry), retryAfter: s.retry}
	}
	now := time.Now()
	if last, ok := s.lastSend[chatID]; ok && s.perChat > 0 && now.Sub(last) < s.perChat {
		return nil, &apiError{status: 429, desc: "Too Many Requests: retry after 1", retryAfter: 1}
	}
	s.lastSend[chatID] = now
	m.ID = s.nextMsg
	s.nextMsg++
	c.Messages = append(c.Messages, m)
	s.signal()
	out := s.messageJSON(c, m, true)
	return out, nil
}

func writeAPI(w http.ResponseWriter, result any, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	if e != nil {
		body := map[string]any{"ok": false, "error_code": e.status, "description": e.desc}
		if e.retryAfter > 0 {
			body["parameters"] = map[string]any{"retry_after": e.retryAfter}
		}
		w.WriteHeader(e.status)
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

// params are a request's parameters from wherever Telegram reads them.
type params struct {
	values url.Values
	files  map[string][]byte
}

func (p params) get(k string) string { return p.values.Get(k) }

const maxUpload = 50 << 20

func readParams(r *http.Request) (params, error) {
	// Read the body to its end whatever the parser left (a multipart
	// reader stops at the closing boundary): only then does net/http watch
	// the connection and end a long poll whose client went away.
	defer func() { _, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxUpload)) }()
	p := params{values: r.URL.Query(), files: map[string][]byte{}}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxUpload); err != nil {
			// A method without parameters may come as a multipart body with
			// no parts at all (go-telegram/bot sends that); Telegram takes it.
			if strings.Contains(err.Error(), "NextPart: EOF") {
				return p, nil
			}
			return p, err
		}
		for k, v := range r.MultipartForm.Value {
			p.values[k] = v
		}
		for k, fhs := range r.MultipartForm.File {
			f, err := fhs[0].Open()
			if err != nil {
				return p, err
			}
			b, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return p, err
			}
			p.files[k] = b
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return p, err
		}
		for k, v := range r.PostForm {
			p.values[k] = v
		}
	case "application/json":
		var m map[string]any
		if err := json.NewDecoder(io.LimitReader(r.Body, maxUpload)).Decode(&m); err != nil && !errors.Is(err, io.EOF) {
			return p, err
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				p.values.Set(k, v)
			case float64:
				p.values.Set(k, strconv.FormatFloat(v, 'f', -1, 64))
			default:
				b, _ := json.Marshal(v)
				p.values.Set(k, string(b))
			}
		}
	}
	return p, nil
}
