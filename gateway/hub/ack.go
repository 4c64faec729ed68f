package hub

// Acknowledgements: stored as events in the user's history, under their own
// seq, and delivered like notifications (so replay and the live switch
// treat them the same: no gap, no duplicate).

import (
	"encoding/json"
	"hash/fnv"
	"sync"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/store"
)

// ackLocks serialise the read-then-append of one user's acknowledgements,
// so two acks of one alert racing (two devices, Telegram) store one event.
// Striped by user: acks are rare, and a lock per user would have to be
// forgotten again.
type ackLocks [64]sync.Mutex

func (l *ackLocks) lock(user string) func() {
	h := fnv.New32a()
	h.Write([]byte(user))
	m := &l[h.Sum32()%uint32(len(l))]
	m.Lock()
	return m.Unlock
}

// historyEntry is what the acknowledgement code reads of a stored frame.
type historyEntry struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	At   string `json:"at"`
	Via  string `json:"via"`
}

// applyTo folds e, stored under seq, into the state of its notification
// (history read oldest first): a notification sets the seq (the last
// wins, as a repeat re-sends under the same id), the first acked event
// the acknowledgement.
func (e *historyEntry) applyTo(st *protocol.NotificationState, seq uint64) {
	switch e.Type {
	case protocol.TypeNotification:
		st.Seq = seq
	case protocol.TypeAcked:
		if st.AckedAt == nil {
			at, via := e.At, e.Via
			st.AckedAt, st.AckedVia = &at, &via
		}
	}
}

// Notification reads the state of name's notification id from the stored
// history: its seq (the last, when a repeat re-sent it under the same id)
// and its acknowledgement. protocol.ErrNotInHistory when no stored
// notification has that id.
func (h *Local) Notification(name, id string) (protocol.NotificationState, error) {
	recs, err := h.store.Since(name, "", 0)
	if err != nil {
		return protocol.NotificationState{}, err
	}
	return StateOf(recs, id)
}

// StateOf is the state of notification id in a user's history, oldest
// record first: the one reading of acknowledgements both fan-outs share.
func StateOf(recs []store.Record, id string) (protocol.NotificationState, error) {
	st := protocol.NotificationState{ID: id}
	for _, r := range recs {
		var e historyEntry
		if json.Unmarshal(r.Frame, &e) != nil || e.ID != id {
			continue
		}
		e.applyTo(&st, r.Seq)
	}
	if st.Seq == 0 {
		// An ack whose notification was trimmed away names nothing left.
		return protocol.NotificationState{}, protocol.ErrNotInHistory
	}
	return st, nil
}

// Ack acknowledges name's notification id on behalf of via: the first
// acknowledgement is stored as an acked event under the next seq and sent
// to every live connection of the user; a later one changes nothing and
// answers Acked false. protocol.ErrNotInHistory when the history holds no
// notification with that id. The caller has checked that its requester
// may act for name.
func (h *Local) Ack(name, id, via string) (protocol.AckResponse, error) {
	unlock := h.ackLocks.lock(name)
	defer unlock()
	st, err := h.Notification(name, id)
	if err != nil {
		return protocol.AckResponse{}, err
	}
	if st.Acked() {
		return protocol.AckResponse{Acked: false}, nil
	}
	rec, err := h.store.Append(name,
		func(seq uint64, epoch string) ([]byte, error) {
			return protocol.AckedFrameBytes(id, via, seq, epoch, h.now())
		},
		func(rec store.Record) { h.deliver(name, rec) })
	if err != nil {
		return protocol.AckResponse{}, err
	}
	return protocol.AckResponse{Acked: true, Seq: rec.Seq}, nil
}

// Recent lists name's last alerts, newest first, at most limit, each with
// its acknowledgement; a repeat (same id) counts in Sent, not as another.
func (h *Local) Recent(name string, limit int) (protocol.RecentResponse, error) {
	recs, err := h.store.Since(name, "", 0)
	if err != nil {
		return protocol.RecentResponse{}, err
	}
	return RecentOf(recs, limit), nil
}

// RecentOf lists the last alerts of a user's history (oldest record
// first), newest first, at most limit: shared by both fan-outs.
func RecentOf(recs []store.Record, limit int) protocol.RecentResponse {
	byID := map[string]*protocol.RecentAlert{}
	var order []*protocol.RecentAlert
	for _, r := range recs {
		var e struct {
			historyEntry
			Title     string `json:"title"`
			Message   string `json:"message"`
			Script    string `json:"script"`
			Timestamp string `json:"timestamp"`
		}
		if json.Unmarshal(r.Frame, &e) != nil || e.ID == "" {
			continue
		}
		a := byID[e.ID]
		switch e.Type {
		case protocol.TypeNotification:
			if a == nil {
				a = &protocol.RecentAlert{ID: e.ID}
				byID[e.ID] = a
			}
			a.Title, a.Message, a.Script, a.Timestamp, a.Seq = e.Title, e.Message, e.Script, e.Timestamp, r.Seq
			a.Sent++
			order = append(order, a)
		case protocol.TypeAcked:
			if a != nil && a.AckedAt == nil {
				at, via := e.At, e.Via
				a.AckedAt, a.AckedVia = &at, &via
			}
		}
	}
	out := protocol.RecentResponse{Alerts: []protocol.RecentAlert{}}
	seen := map[*protocol.RecentAlert]bool{}
	for i := len(order) - 1; i >= 0 && len(out.Alerts) < limit; i-- {
		if a := order[i]; !seen[a] {
			seen[a] = true
			out.Alerts = append(out.Alerts, *a)
		}
	}
	return out
}
