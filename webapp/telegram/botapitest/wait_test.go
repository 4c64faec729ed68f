package botapitest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A Wait on a call count wakes when the call comes. The call is made from
// inside the first check, so it reaches the stand-in only once Wait is
// waiting: counting a call without waking waiters made TestWebhookMode
// (notify-bot) wait out its 20 s whenever the bot, slow to start under
// load, called setWebhook after the test began to wait.
func TestWaitWakesOnACall(t *testing.T) {
	s := New("1:token", "alerts_bot")
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	called := make(chan error, 1)
	checks := 0
	err := s.Wait(30*time.Second, func(s *Server) bool {
		if checks++; checks == 1 {
			go func() { // blocks on s.mu until Wait waits
				resp, err := http.Post(srv.URL+"/bot1:token/getMe", "application/json", nil)
				if err == nil {
					resp.Body.Close()
				}
				called <- err
			}()
		}
		return s.CallsLocked("getMe") == 1
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-called; err != nil {
		t.Fatal(err)
	}
}
