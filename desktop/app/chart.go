package app

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
)

// ServeChart serves /chart/<notification id> to the page: the image is
// fetched with the token and cached, so the page never needs the token or a
// remote origin.
func (a *App) ServeChart(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, "/chart/")
	if !ok || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	it, found := a.store.Get(id)
	if !found || it.ImageURL == "" {
		http.NotFound(w, r)
		return
	}
	tok := a.session.Token()
	if tok == "" {
		http.Error(w, "signed out", http.StatusUnauthorized)
		return
	}
	api := a.client()
	b, ct, err := a.images.Get(r.Context(), it.ImageURL, func(ctx context.Context, u string) ([]byte, string, error) {
		return api.Image(ctx, tok, u)
	})
	if err != nil {
		slog.Warn("chart image unavailable", slog.String("id", id), slog.Any("error", err))
		http.Error(w, "image unavailable", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}
