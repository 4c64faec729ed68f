package hub

import (
	"encoding/json"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/store"
)

// Notifications reads the state of several of name's notifications with one
// read of the stored history (POST /notifications/acks): the states of
// the ids the history holds, as Notification has them; an id it does not
// hold is absent.
func (h *Local) Notifications(name string, ids []string) (map[string]protocol.NotificationState, error) {
	recs, err := h.store.Since(name, "", 0)
	if err != nil {
		return nil, err
	}
	return StatesOf(recs, ids), nil
}

// StatesOf is StateOf for several ids in one pass over a user's history
// (oldest record first): shared by both fan-outs.
func StatesOf(recs []store.Record, ids []string) map[string]protocol.NotificationState {
	want := make(map[string]*protocol.NotificationState, len(ids))
	for _, id := range ids {
		want[id] = &protocol.NotificationState{ID: id}
	}
	for _, r := range recs {
		var e historyEntry
		if json.Unmarshal(r.Frame, &e) != nil {
			continue
		}
		if st := want[e.ID]; st != nil {
			e.applyTo(st, r.Seq)
		}
	}
	out := make(map[string]protocol.NotificationState, len(want))
	for id, st := range want {
		if st.Seq != 0 { // an ack whose notification was trimmed away names nothing left
			out[id] = *st
		}
	}
	return out
}
