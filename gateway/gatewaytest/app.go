package gatewaytest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// App is a desktop app's WebSocket connection to the gateway, signed in as
// one user and with the app's frame limit (a bigger frame breaks it). A
// goroutine reads its frames, answering pings, so that a test waiting for
// a notification never breaks the connection.
type App struct {
	t      testing.TB
	frames chan AppFrame
}

// AppFrame is one notification frame, decoded, and Raw as it was sent (for
// what the protocol type leaves out, and the frame's size).
type AppFrame struct {
	protocol.NotificationFrame
	Raw []byte
}

// ConnectApp connects an app as user; the connection closes when the test
// ends.
func (gw *Gateway) ConnectApp(t testing.TB, user string) *App {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(gw.WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	ws.SetReadLimit(protocol.MaxFrameBytes)
	if err := ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, user)}); err != nil {
		t.Fatal(err)
	}
	var ok protocol.AuthOK
	if err := ws.ReadJSON(&ok); err != nil || ok.Type != protocol.TypeAuthOK || ok.Username != user {
		t.Fatalf("auth: %+v %v", ok, err)
	}
	a := &App{t: t, frames: make(chan AppFrame, 16)}
	go func() {
		defer close(a.frames)
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			f := AppFrame{Raw: b}
			if err := json.Unmarshal(b, &f.NotificationFrame); err != nil {
				return
			}
			switch f.Type {
			case protocol.TypeNotification:
				a.frames <- f
			case protocol.TypePing:
				_ = ws.WriteJSON(map[string]string{"type": protocol.TypePong})
			}
		}
	}()
	return a
}

// Next waits up to timeout for the next notification; the test fails if
// none comes or the connection closes.
func (a *App) Next(timeout time.Duration) AppFrame {
	a.t.Helper()
	select {
	case f, ok := <-a.frames:
		if !ok {
			a.t.Fatal("the app's connection closed")
		}
		return f
	case <-time.After(timeout):
		a.t.Fatal("no notification reached the app")
	}
	return AppFrame{}
}

// None checks that no notification arrives within d.
func (a *App) None(d time.Duration) {
	a.t.Helper()
	select {
	case f := <-a.frames:
		a.t.Fatalf("unexpected notification %+v", f.NotificationFrame)
	case <-time.After(d):
	}
}
