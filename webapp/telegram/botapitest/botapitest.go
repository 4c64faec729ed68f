// Package botapitest is a local stand-in for Telegram's Bot API, for tests
// and for `make run` without a real bot (like the development sign-in and
// the OIDC stand-in). It answers $URL/bot<token>/<method> as
// https://core.telegram.org/bots/api defines, for the methods notify-bot
// uses: getMe, getUpdates (long polling with offsets), setWebhook and
// deleteWebhook (updates are then POSTed to the webhook with the secret
// token header), sendMessage, sendPhoto (multipart upload),
// answerCallbackQuery, setMyCommands, editMessageText, editMessageCaption. Parameters are read from a query
// string, a urlencoded or multipart form, or a JSON body, as Telegram does.
//
// What it keeps: each chat's messages in both directions. What a test (or a
// developer, on the page at /) does: type a message or press a button as the
// chat's Telegram user, block the bot (403), and make the API answer 429
// (retry_after) or enforce Telegram's per-chat rate. Like Telegram, it
// refuses text whose Markdown or HTML does not parse, and text over the
// length limits.
package botapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// Message is one message in a chat.
type Message struct {
	ID        int
	FromBot   bool
	Text      string // text, or a photo's caption
	ParseMode string
	Photo     []byte // the uploaded file of a photo
	Buttons   [][]Button
	// Silent: sent with disable_notification (no sound on the phone).
	Silent bool
	Date   time.Time
	Edits  int // times the bot edited it (editMessageText, editMessageCaption)
}

// Button is an inline keyboard button.
type Button struct {
	Text string `json:"text"`
	Data string `json:"callback_data,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Chat is one conversation with the bot: private (one Telegram user) or a
// group.
type Chat struct {
	ID       int64
	Type     string // "private" or "group"
	UserID   int64
	Username string
	Messages []Message
	Blocked  bool // the user blocked the bot: sends answer 403
	Answers  []string
}

// Server is a running stand-in. Its exported methods are safe for
// concurrent use.
type Server struct {
	Token       string
	BotUsername string
	mu          sync.Mutex
	chats       map[int64]*Chat
	updates     []json.RawMessage // not yet confirmed by an offset
	nextUpd     int
	nextMsg     int
	changed     chan struct{} // closed and replaced on every change
	lastSend    map[int64]time.Time
	fail429     int
	retry       int
	calls       map[string]int
	webhook     string
	secret      string
	hookErr     error
	hookQueue   chan json.RawMessage
	// perChat, when set, makes a second send to one chat within it answer
	// 429 with retry_after 1, as Telegram's flood control does.
	perChat   time.Duration
	callbacks map[string]int64 // callback query id -> chat
}

// New returns a stand-in for the bot with this token and username; serve
// its Handler.
func New(token, botUsername string) *Server {
	s := &Server{Token: token, BotUsername: botUsername, chats: map[int64]*Chat{}, nextUpd: 1,
		nextMsg: 1, changed: make(chan struct{}), lastSend: map[int64]time.Time{}, calls: map[string]int{}, callbacks: map[string]int64{},
		hookQueue: make(chan json.RawMessage, 1024)}
	go s.pushWebhooks()
	return s
}

// Handler serves the Bot API under /bot<token>/ and the page under /.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.pageRoutes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/bot") {
			s.api(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// signal wakes everyone waiting for a change; s.mu is held.
func (s *Server) signal() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Wait returns when cond (called under the lock) holds, or fails after d.
func (s *Server) Wait(d time.Duration, cond func(s *Server) bool) error {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond(s)
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return fmt.Errorf("stand-in Bot API: condition not met within %v", d)
		}
	}
}

// ChatLocked is a chat for a Wait condition (the lock is held there).
func (s *Server) ChatLocked(id int64) *Chat { return s.chats[id] }

// BotMessages is a copy of what the bot sent to a chat.
func (s *Server) BotMessages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.botMessagesLocked(chatID)
}

func (s *Server) botMessagesLocked(chatID int64) []Message {
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	var out []Message
	for _, m := range c.Messages {
		if m.FromBot {
			out = append(out, m)
		}
	}
	return out
}

// WaitBotMessages waits until the bot has sent at least n messages to the
// chat and returns them.
func (s *Server) WaitBotMessages(chatID int64, n int, d time.Duration) ([]Message, error) {
	err := s.Wait(d, func(s *Server) bool { return len(s.botMessagesLocked(chatID)) >= n })
	msgs := s.BotMessages(chatID)
	if err != nil {
		return msgs, fmt.Errorf("chat %d: %d bot messages, want %d: %w", chatID, len(msgs), n, err)
	}
	return msgs, nil
}

// Calls is how many times a method was called (any answer).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// CallsLocked is Calls for a Wait condition (the lock is held there).
func (s *Server) CallsLocked(method string) int { return s.calls[method] }

// Fail429 makes the next n sends answer 429 with retry_after seconds.
func (s *Server) Fail429(n, retryAfter int) {
	s.mu.Lock()
	s.fail429, s.retry = n, retryAfter
	s.mu.Unlock()
}

// EnforcePerChat makes a second send to a chat within d answer 429
// (retry_after 1), as Telegram's flood control does; 0 turns it off.
func (s *Server) EnforcePerChat(d time.Duration) {
	s.mu.Lock()
	s.perChat = d
	s.mu.Unlock()
}

// Block makes the chat's user block the bot (sends answer 403).
func (s *Server) Block(chatID int64) {
	s.mu.Lock()
	s.chat(chatID, "private", "").Blocked = true
	s.signal()
	s.mu.Unlock()
}

// chat returns (creating) a chat; s.mu is held.
func (s *Server) chat(id int64, typ, username string) *Chat {
	c := s.chats[id]
	if c == nil {
		if username == "" {
			username = fmt.Sprintf("user%d", id)
		}
		c = &Chat{ID: id, Type: typ, UserID: id, Username: username}
		if typ != "private" {
			c.UserID = 1000 + (-id % 1000)
		}
		s.chats[id] = c
	}
	return c
}

// OpenChat makes a private chat exist without a message in it (a user who
// opened the bot's chat; sends to an unknown chat answer "chat not found").
func (s *Server) OpenChat(chatID int64) {
	s.mu.Lock()
	s.chat(chatID, "private", "")
	s.signal()
	s.mu.Unlock()
}

// Say is a Telegram user typing text in a private chat (its id is the
// user's id, as in Telegram). It returns the message id.
func (s *Server) Say(chatID int64, text string) int { return s.say(chatID, "private", text) }

// SayInGroup is a user typing text in a group chat (ids are negative).
func (s *Server) SayInGroup(chatID int64, text string) int { return s.say(chatID, "group", text) }

func (s *Server) say(chatID int64, typ, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chat(chatID, typ, "")
	m := Message{ID: s.nextMsg, Text: text, Date: time.Now()}
	s.nextMsg++
	c.Messages = append(c.Messages, m)
	upd := map[string]any{"message": s.messageJSON(c, m, false)}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		upd["message"].(map[string]any)["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len(utf16.Encode([]rune(cmd)))}}
	}
	s.addUpdate(upd)
	return m.ID
}

// Press is the chat's user pressing the inline button with callback data
// on the bot's message msgID.
func (s *Server) Press(chatID int64, msgID int, data string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return fmt.Errorf("no chat %d", chatID)
	}
	for _, m := range c.Messages {
		if m.ID != msgID || !m.FromBot {
			continue
		}
		for _, row := range m.Buttons {
			for _, b := range row {
				if b.Data == data {
					id := strconv.Itoa(s.nextUpd)
					s.callbacks[id] = chatID
					s.addUpdate(map[string]any{"callback_query": map[string]any{
						"id":            id,
						"from":          s.userJSON(c),
						"message":       s.messageJSON(c, m, true),
						"chat_instance": strconv.FormatInt(c.ID, 10),
						"data":          data,
					}})
					return nil
				}
			}
		}
	}
	return fmt.Errorf("chat %d: no button %q on message %d", chatID, data, msgID)
}

func (s *Server) userJSON(c *Chat) map[string]any {
	return map[string]any{"id": c.UserID, "is_bot": false, "first_name": c.Username, "username": c.Username}
}

func (s *Server) messageJSON(c *Chat, m Message, fromBot bool) map[string]any {
	chat := map[string]any{"id": c.ID, "type": c.Type}
	if c.Type == "private" {
		chat["username"], chat["first_name"] = c.Username, c.Username
	} else {
		chat["title"] = fmt.Sprintf("group %d", c.ID)
	}
	from := s.userJSON(c)
	if fromBot {
		from = map[string]any{"id": s.botID(), "is_bot": true, "first_name": s.BotUsername, "username": s.BotUsername}
	}
	out := map[string]any{"message_id": m.ID, "date": m.Date.Unix(), "chat": chat, "from": from}
	if m.Photo != nil {
		out["photo"] = []map[string]any{{"file_id": fmt.Sprintf("photo-%d", m.ID), "file_unique_id": fmt.Sprintf("p%d", m.ID), "width": 1, "height": 1}}
		if m.Text != "" {
			out["caption"] = m.Text
		}
	} else {
		out["text"] = m.Text
	}
	return out
}

func (s *Server) botID() int64 {
	id, _ := strconv.ParseInt(strings.Split(s.Token, ":")[0], 10, 64)
	return id
}

// addUpdate queues an update for getUpdates or the webhook; s.mu is held.
func (s *Server) addUpdate(u map[string]any) {
	u["update_id"] = s.nextUpd
	s.nextUpd++
	b, _ := json.Marshal(u)
	if s.webhook != "" {
		s.hookQueue <- b
	} else {
		s.updates = append(s.updates, b)
	}
	s.signal()
}

// pushWebhooks POSTs updates to the webhook in order, retrying as Telegram
// does until the bot answers 2xx.
func (s *Server) pushWebhooks() {
	for u := range s.hookQueue {
		for {
			s.mu.Lock()
			hook, secret := s.webhook, s.secret
			s.mu.Unlock()
			if hook == "" {
				s.mu.Lock()
				s.updates = append(s.updates, u)
				s.signal()
				s.mu.Unlock()
				break
			}
			req, _ := http.NewRequest(http.MethodPost, hook, bytes.NewReader(u))
			req.Header.Set("Content-Type", "application/json")
			if secret != "" {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					break
				}
				err = fmt.Errorf("webhook answered %d", resp.StatusCode)
			}
			s.mu.Lock()
			s.hookErr = err
			s.mu.Unlock()
			time.Sleep(200 * time.Millisecond)
		}
	}
}

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

// parse checks text the way Telegram parses its parse mode and returns the
// plain text (for the length limit). Legacy Markdown: *bold*, _italic_,
// `code`, ```pre```, [text](url), with unclosed entities refused. HTML: the
// tags Telegram allows, balanced, and only &lt; &gt; &amp; &quot; and
// numeric entities.
func parse(text, mode string) (string, error) {
	switch mode {
	case "":
		return text, nil
	case "Markdown":
		return parseMarkdown(text)
	case "MarkdownV2":
		return text, nil // not used by notify-bot; taken as is
	case "HTML":
		return parseHTML(text)
	default:
		return "", fmt.Errorf("unsupported parse_mode %q", mode)
	}
}

func parseMarkdown(text string) (string, error) {
	var out strings.Builder
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch ch {
		case '*', '_', '`':
			delim := string(ch)
			if strings.HasPrefix(text[i:], "```") {
				delim = "```"
			}
			end := strings.Index(text[i+len(delim):], delim)
			if end < 0 {
				return "", fmt.Errorf("can't find end of the entity starting at byte offset %d", i)
			}
			out.WriteString(text[i+len(delim) : i+len(delim)+end])
			i += len(delim) + end + len(delim) - 1
		case '[':
			close := strings.Index(text[i:], "](")
			endURL := -1
			if close >= 0 {
				endURL = strings.IndexByte(text[i+close:], ')')
			}
			if close < 0 || endURL < 0 {
				out.WriteByte(ch) // a lone '[' is text in legacy Markdown
				continue
			}
			out.WriteString(text[i+1 : i+close])
			i += close + endURL
		default:
			out.WriteByte(ch)
		}
	}
	return out.String(), nil
}

var (
	htmlTag    = regexp.MustCompile(`^<(/?)([a-zA-Z-]+)(\s[^<>]*)?>`)
	htmlEntity = regexp.MustCompile(`^&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});`)
	htmlTags   = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
		"s": true, "strike": true, "del": true, "a": true, "code": true, "pre": true, "tg-spoiler": true,
		"span": true, "blockquote": true}
)

func parseHTML(text string) (string, error) {
	var (
		out   strings.Builder
		stack []string
	)
	for i := 0; i < len(text); {
		switch text[i] {
		case '<':
			m := htmlTag.FindStringSubmatch(text[i:])
			if m == nil || !htmlTags[strings.ToLower(m[2])] {
				return "", fmt.Errorf("unsupported start tag at byte offset %d", i)
			}
			name := strings.ToLower(m[2])
			if m[1] == "/" {
				if len(stack) == 0 || stack[len(stack)-1] != name {
					return "", fmt.Errorf("unmatched end tag at byte offset %d, expected \"</%s>\"", i, name)
				}
				stack = stack[:len(stack)-1]
			} else {
				stack = append(stack, name)
			}
			i += len(m[0])
		case '>':
			out.WriteByte('>')
			i++
		case '&':
			m := htmlEntity.FindString(text[i:])
			if m == "" {
				out.WriteByte('&') // Telegram takes a bare & that starts no entity
				i++
				continue
			}
			out.WriteByte('x')
			i += len(m)
		default:
			out.WriteByte(text[i])
			i++
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1])
	}
	return out.String(), nil
}

// chatIDs are the chats in id order.
func (s *Server) chatIDs() []int64 {
	ids := make([]int64, 0, len(s.chats))
	for id := range s.chats {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
