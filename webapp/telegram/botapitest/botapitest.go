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
	"encoding/json"
	"fmt"
	"net/http"
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

// chatIDs are the chats in id order.
func (s *Server) chatIDs() []int64 {
	ids := make([]int64, 0, len(s.chats))
	for id := range s.chats {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
