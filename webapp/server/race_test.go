package server_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// A refresh racing an unlink must never hand out a token that survives the
// unlink, nor leave the user marked linked: whichever runs first, once both
// have answered the new token (if any) is refused and the user is not linked.
// The clock is read slowly (a few microseconds of jitter, as under load) so
// the two requests interleave in every possible way over many rounds.
func TestRefreshRacingUnlink(t *testing.T) {
	e := newEnv(t, envOpts{now: func() time.Time {
		time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
		return time.Now()
	}})
	rounds := 150
	if testing.Short() {
		rounds = 40
	}
	survived, relinked, refreshed := 0, 0, 0
	for i := range rounds {
		user := fmt.Sprintf("racer%d", i)
		tok := e.gw.Token(t, user)
		if a := e.bearer(http.MethodGet, protocol.PathDesktopScripts, tok, ""); a.status != 200 {
			t.Fatalf("link %s: %d %s", user, a.status, a.body)
		}
		var refresh, unlink answer
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); refresh = e.bearer(http.MethodPost, protocol.PathDesktopRefresh, tok, "") }()
		go func() { defer wg.Done(); unlink = e.bearer(http.MethodPost, protocol.PathDesktopUnlink, tok, "") }()
		wg.Wait()
		if unlink.status != 200 {
			t.Fatalf("unlink %s: %d %s", user, unlink.status, unlink.body)
		}
		if _, ok := e.srv.Links.Linked(user); ok {
			relinked++
		}
		switch refresh.status {
		case 200:
			refreshed++
			var r protocol.RefreshResponse
			refresh.json(t, &r)
			if a := e.bearer(http.MethodGet, protocol.PathDesktopScripts, r.Token, ""); a.status != 401 {
				survived++
			}
		case 401:
		default:
			t.Fatalf("refresh %s: %d %s", user, refresh.status, refresh.body)
		}
	}
	t.Logf("%d rounds, %d refreshes answered before the unlink", rounds, refreshed)
	if survived > 0 || relinked > 0 {
		t.Fatalf("in %d of %d rounds a refreshed token survived the unlink; in %d the user was linked again", survived, rounds, relinked)
	}
}
