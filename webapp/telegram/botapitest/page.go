package botapitest

import (
	"html"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// The developer's page: every chat's messages, a field to type as the chat's
// user, the bot's buttons to press, and a switch to block the bot. All text
// goes through html/template, so a message is shown as written, never as
// markup.
var page = template.Must(template.New("page").Funcs(template.FuncMap{"shown": shown}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Telegram stand-in: @{{.Bot}}</title>
<style>
body{font:14px system-ui,sans-serif;margin:0;display:flex;height:100vh}
nav{width:220px;border-right:1px solid #ccc;padding:8px;overflow:auto}
nav a{display:block;padding:4px}nav a.on{font-weight:bold}
main{flex:1;display:flex;flex-direction:column}
#log{flex:1;overflow:auto;padding:8px;background:#eef}
.m{max-width:70%;margin:4px 0;padding:6px 8px;border-radius:6px;background:#fff;white-space:pre-wrap}
.bot{margin-right:auto}.user{margin-left:auto;background:#dfd}
.pm{color:#888;font-size:11px}img{max-width:320px;display:block}
form.say{display:flex;padding:8px;gap:4px}form.say input[name=text]{flex:1}
</style></head><body>
<nav><b>@{{.Bot}}</b><p>Chats</p>
{{range .Chats}}<a href="/chat/{{.ID}}" {{if eq .ID $.Current}}class="on"{{end}}>{{.ID}} {{.Username}} ({{.Type}}){{if .Blocked}} blocked{{end}}</a>{{end}}
<form method="post" action="/chat/new"><p>New private chat</p>
<input name="id" placeholder="chat id (a number)" required pattern="[0-9]{1,15}">
<input name="username" placeholder="username"><button>Open</button></form>
</nav>
<main>{{with .Chat}}
<div id="log">{{range .Messages}}
<div class="m {{if .FromBot}}bot{{else}}user{{end}}">{{if .Photo}}<img src="/chat/{{$.Current}}/photo/{{.ID}}" alt="photo">{{end}}{{shown .Text .ParseMode}}{{if .ParseMode}}<div class="pm">{{.ParseMode}}</div>{{end}}
{{$id := .ID}}{{range .Buttons}}<div>{{range .}}{{if .Data}}<form method="post" action="/chat/{{$.Current}}/press" style="display:inline"><input type="hidden" name="msg" value="{{$id}}"><input type="hidden" name="data" value="{{.Data}}"><button>{{.Text}}</button></form>{{else}}<a href="{{.URL}}">{{.Text}}</a>{{end}}{{end}}</div>{{end}}</div>{{end}}
</div>
<form class="say" method="post" action="/chat/{{.ID}}/say"><input name="text" autofocus autocomplete="off" placeholder="Type as {{.Username}}, e.g. /start"><button>Send</button></form>
<form method="post" action="/chat/{{.ID}}/block" style="padding:0 8px 8px"><button>{{if .Blocked}}Unblock{{else}}Block{{end}} the bot</button></form>
{{else}}<p style="padding:8px">Open a chat on the left, or press Link in the portal's Telegram card: its link (/{{.Bot}}?start=..., as t.me) opens here.</p>{{end}}
</main>
<script>setTimeout(function r(){var i=document.querySelector('input[name=text]');if(!i||i.value===''){location.reload()}else{setTimeout(r,3000)}},3000)</script>
</body></html>`))

// shown is a message as Telegram shows it: the markup parsed away (the page
// shows the text, not the formatting); the raw text if it does not parse.
func shown(text, mode string) string {
	switch mode {
	case "HTML":
		if _, err := parseHTML(text); err == nil {
			return html.UnescapeString(htmlTagAny.ReplaceAllString(text, ""))
		}
	case "Markdown":
		if plain, err := parseMarkdown(text); err == nil {
			return plain
		}
	}
	return text
}

var htmlTagAny = regexp.MustCompile(`<[^<>]*>`)

func (s *Server) pageRoutes(mux *http.ServeMux) {
	ui := http.NewServeMux()
	ui.HandleFunc("GET /{$}", s.showPage)
	ui.HandleFunc("GET /chat/{id}", s.showPage)
	ui.HandleFunc("GET /chat/{id}/photo/{msg}", s.showPhoto)
	ui.HandleFunc("POST /chat/new", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.FormValue("id"), 10, 64)
		if err != nil || id <= 0 {
			http.Error(w, "the chat id is a positive number", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.chat(id, "private", strings.TrimSpace(r.FormValue("username")))
		s.signal()
		s.mu.Unlock()
		http.Redirect(w, r, "/chat/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	})
	// Saying something in a chat that does not exist yet opens it (a
	// private chat with that id), as a user's first message does.
	ui.HandleFunc("POST /chat/{id}/say", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id == 0 {
			http.Error(w, "the chat id is a number", http.StatusBadRequest)
			return
		}
		if strings.TrimSpace(r.FormValue("text")) != "" {
			s.say(id, s.chatType(id), r.FormValue("text"))
		}
		http.Redirect(w, r, "/chat/"+r.PathValue("id"), http.StatusSeeOther)
	})
	ui.HandleFunc("POST /chat/{id}/press", func(w http.ResponseWriter, r *http.Request) {
		id, ok := s.pathChat(w, r)
		if !ok {
			return
		}
		msg, _ := strconv.Atoi(r.FormValue("msg"))
		if err := s.Press(id, msg, r.FormValue("data")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, "/chat/"+r.PathValue("id"), http.StatusSeeOther)
	})
	ui.HandleFunc("POST /chat/{id}/block", func(w http.ResponseWriter, r *http.Request) {
		id, ok := s.pathChat(w, r)
		if !ok {
			return
		}
		s.mu.Lock()
		c := s.chats[id]
		c.Blocked = !c.Blocked
		s.signal()
		s.mu.Unlock()
		http.Redirect(w, r, "/chat/"+r.PathValue("id"), http.StatusSeeOther)
	})
	// /<bot>?start=<code>, as t.me/<bot>?start=<code>, stands for: open
	// the chat with the bot and press Start. The chat is the first private
	// one (the developer's).
	ui.HandleFunc("GET /{bot}", func(w http.ResponseWriter, r *http.Request) {
		code := r.URL.Query().Get("start")
		if r.PathValue("bot") != s.BotUsername || code == "" {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		var id int64
		for _, cid := range s.chatIDs() {
			if s.chats[cid].Type == "private" {
				id = cid
				break
			}
		}
		if id == 0 {
			id = 1001
			s.chat(id, "private", "developer")
		}
		s.mu.Unlock()
		s.Say(id, "/start "+code)
		http.Redirect(w, r, "/chat/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	})
	mux.Handle("/", http.NewCrossOriginProtection().Handler(ui))
}

func (s *Server) chatType(id int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[id]; c != nil {
		return c.Type
	}
	return "private"
}

func (s *Server) pathChat(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	ok := err == nil && s.chats[id] != nil
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
	}
	return id, ok
}

func (s *Server) showPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	data := struct {
		Bot     string
		Chats   []Chat
		Chat    *Chat
		Current int64
	}{Bot: s.BotUsername}
	for _, id := range s.chatIDs() {
		data.Chats = append(data.Chats, *s.chats[id])
	}
	if v := r.PathValue("id"); v != "" {
		id, _ := strconv.ParseInt(v, 10, 64)
		if c := s.chats[id]; c != nil {
			cp := *c
			cp.Messages = append([]Message(nil), c.Messages...)
			data.Chat, data.Current = &cp, id
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self'")
	_ = page.Execute(w, data)
}

func (s *Server) showPhoto(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	msg, _ := strconv.Atoi(r.PathValue("msg"))
	s.mu.Lock()
	var photo []byte
	if c := s.chats[id]; c != nil {
		for _, m := range c.Messages {
			if m.ID == msg {
				photo = m.Photo
			}
		}
	}
	s.mu.Unlock()
	if photo == nil {
		http.NotFound(w, r)
		return
	}
	ct := http.DetectContentType(photo)
	if ct != "image/png" && ct != "image/jpeg" {
		http.Error(w, "not an image", http.StatusUnsupportedMediaType)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(photo)
}
