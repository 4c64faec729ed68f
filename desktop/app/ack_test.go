package app

import (
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/desktop/connection"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// withdrawn records the banners the app took back (Withdrawer).
var _ Withdrawer = (*recorder)(nil)

func (r *recorder) Withdraw(id string) {
	r.mu.Lock()
	r.events = append(r.events, "withdraw "+id)
	r.mu.Unlock()
}

func (r *recorder) withdrew(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e == "withdraw "+id {
			return true
		}
	}
	return false
}

// waitFor polls cond (the apps' stores change on their own goroutines).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two devices of one user, each with its own home: Acknowledge on one
// marks the alert done and read on both, drops both badges and withdraws
// both banners; a third device that was offline learns of it on resume.
func TestAcknowledgeSyncsAcrossDevices(t *testing.T) {
	e := newEnv(t)
	apps := make([]*App, 3)
	recs := make([]*recorder, 3)
	for i := range apps {
		e.cfg = appConfig(t, e.web.URL, e.gw.WSURL, "test-ack-"+string(rune('a'+i)))
		recs[i] = newRecorder()
		apps[i] = e.start(t, recs[i])
		apps[i].HandleArgs([]string{"/usr/bin/app", protocol.DeepLinkWithState("", e.gw.Token(t, "petr"), e.requestSignIn(t, apps[i]))})
		recs[i].waitState(t, connected)
	}
	for _, a := range apps {
		waitLive(t, a)
	}
	e.dispatch(t, protocol.Notification{ID: "n1", Title: "Disk full"})
	for i, r := range recs {
		if n := r.waitNote(t); n != "n1|Disk full|" {
			t.Fatalf("device %d: %q", i, n)
		}
	}
	apps[2].Stop() // offline from here

	if err := apps[0].API().Acknowledge("n1"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		a, r := apps[i], recs[i]
		waitFor(t, "the ack on device "+string(rune('0'+i)), func() bool {
			it, _ := a.store.Get("n1")
			return it.AckedAt != "" && it.AckedVia == protocol.ViaDesktop && it.Read && a.State().Unread == 0 && r.withdrew("n1")
		})
		r.mu.Lock()
		badge := r.unread
		r.mu.Unlock()
		if badge != 0 {
			t.Fatalf("device %d badge %d", i, badge)
		}
	}
	st, err := e.gw.Client().Notification(t.Context(), "petr", "n1")
	if err != nil || !st.Acked() {
		t.Fatalf("gateway: %+v %v", st, err)
	}
	// Acknowledging again is harmless.
	if err := apps[1].API().Acknowledge("n1"); err != nil {
		t.Fatal(err)
	}
	if err := apps[1].API().Acknowledge("nope"); err == nil {
		t.Fatal("acknowledging an unknown alert: no error")
	}

	// The device that was away resumes and learns of the ack.
	e.cfg = apps[2].cfg
	r3 := newRecorder()
	a3 := e.start(t, r3)
	r3.waitState(t, connected)
	waitFor(t, "the ack on the resumed device", func() bool {
		it, _ := a3.store.Get("n1")
		return it.AckedAt != "" && a3.State().Unread == 0
	})
}

// An acknowledgement given while the gateway is away waits for the link;
// the app quits before the link is back, and the next start sends it.
func TestAckGivenOfflineSurvivesAQuit(t *testing.T) {
	e := newEnv(t)
	a, r := e.startSignedIn(t, "petr")
	time.Sleep(300 * time.Millisecond) // past the replay burst
	e.dispatch(t, protocol.Notification{ID: "n1", Title: "Disk full"})
	r.waitNote(t)
	e.gw.Stop()
	r.waitState(t, func(s State) bool { return s.Connection.State == connection.Reconnecting })
	if err := a.API().Acknowledge("n1"); err != nil {
		t.Fatal(err)
	}
	a.Stop()
	e.gw.Restart(t)

	a2 := e.start(t, newRecorder()) // the same home and keychain: signed in
	waitFor(t, "the ack stored by the gateway and confirmed", func() bool {
		it, _ := a2.store.Get("n1")
		return it.AckedAt != "" && it.AckedVia == protocol.ViaDesktop
	})
	if st, err := e.gw.Client().Notification(t.Context(), "petr", "n1"); err != nil || !st.Acked() {
		t.Fatalf("gateway: %+v %v", st, err)
	}
	if p, _ := a2.store.PendingAcks(); len(p) != 0 {
		t.Fatalf("still pending after the confirmation: %q", p)
	}
}

// Acknowledgements belong to the session they were given in: signing out
// drops those still waiting (queue and store), so whoever signs in next
// does not send them.
func TestSignOutDropsWaitingAcks(t *testing.T) {
	e := newEnv(t)
	a, r := e.startSignedIn(t, "petr")
	time.Sleep(300 * time.Millisecond) // past the replay burst
	e.dispatch(t, protocol.Notification{ID: "n1", Title: "Disk full"})
	e.dispatch(t, protocol.Notification{ID: "n2", Title: "Disk fuller"})
	r.waitNote(t)
	r.waitNote(t)
	e.gw.Stop()
	r.waitState(t, func(s State) bool { return s.Connection.State == connection.Reconnecting })
	if err := a.API().Acknowledge("n1"); err != nil {
		t.Fatal(err)
	}
	if err := a.API().SignOut(); err != nil {
		t.Fatal(err)
	}
	if p, _ := a.store.PendingAcks(); len(p) != 0 {
		t.Fatalf("still pending after sign-out: %q", p)
	}
	e.gw.Restart(t)
	if err := e.signIn(t, a, "petr"); err != nil {
		t.Fatal(err)
	}
	r.waitState(t, connected)
	// Acks go out in order: once n2's is stored, n1's would have been too.
	if err := a.API().Acknowledge("n2"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "n2 acknowledged", func() bool { it, _ := a.store.Get("n2"); return it.AckedAt != "" })
	if st, err := e.gw.Client().Notification(t.Context(), "petr", "n1"); err != nil || st.Acked() {
		t.Fatalf("n1 at the gateway: %+v %v (the ack of the ended session was sent)", st, err)
	}
}
