package notifybot

import (
	"context"
	"log/slog"
	"strings"
)

// redactHandler keeps the bot token out of every log line: the message and
// every attribute (errors included, whatever wrapped them) are rendered to
// text and the token is replaced. go-telegram/bot already hides it in the
// URLs of its errors; this is the net under that.
type redactHandler struct {
	next   slog.Handler
	secret string
}

// Redacting wraps h so that secret never reaches it.
func Redacting(h slog.Handler, secret string) slog.Handler {
	if secret == "" {
		return h
	}
	return &redactHandler{next: h, secret: secret}
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.clean(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool { out.AddAttrs(h.attr(a)); return true })
	return h.next.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return &redactHandler{next: h.next.WithAttrs(clean), secret: h.secret}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{next: h.next.WithGroup(name), secret: h.secret}
}

func (h *redactHandler) clean(s string) string { return strings.ReplaceAll(s, h.secret, "<token>") }

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = h.attr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindString:
		return slog.String(a.Key, h.clean(v.String()))
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, h.clean(err.Error()))
		}
		return slog.String(a.Key, h.clean(v.String()))
	}
	return a
}
