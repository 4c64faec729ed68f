package cluster

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// Acks of one alert racing on three nodes, several per node, while
// notifications are dispatched through them too: each alert is acked
// once, and the user's seqs stay gap-free and unique (the history holds
// each seq once, and one acked event per alert).
func TestAcksRacingOnThreeNodesStoreOne(t *testing.T) {
	_, nodes := threeNodes(t)
	const alerts, perNode = 8, 3
	for i := range alerts {
		if _, err := nodes[i%3].Publish("jo", note(i)); err != nil {
			t.Fatal(err)
		}
	}
	stored := make([]atomic.Int32, alerts)
	var wg sync.WaitGroup
	for i := range alerts {
		for _, n := range nodes {
			for range perNode {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := n.Ack("jo", fmt.Sprintf("n%d", i), protocol.ViaAPI)
					if err != nil {
						t.Errorf("ack of n%d on %s: %v", i, n.Name(), err)
					} else if res.Acked {
						stored[i].Add(1)
					}
				}()
			}
		}
		// A dispatch races the acks too: it must neither take an ack's
		// seq nor let an ack be stored twice.
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := nodes[(i+1)%3].Publish("jo", note(100+i)); err != nil {
				t.Errorf("dispatch during the acks: %v", err)
			}
		}()
	}
	wg.Wait()
	for i := range alerts {
		if got := stored[i].Load(); got != 1 {
			t.Errorf("n%d: acked %d times, want once", i, got)
		}
	}
	recs, err := nodes[0].Since("jo", protocol.Resume{})
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * alerts; len(recs) != want {
		t.Fatalf("history holds %d records, want %d (alerts, dispatches, one ack each)", len(recs), want)
	}
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d: %s", i, r.Seq, r.Frame)
		}
	}
	var conflicts uint64
	for _, n := range nodes {
		conflicts += n.Conflicts()
	}
	t.Logf("%d refused writes re-checked", conflicts)

	// Every node reads the same state, and a node reads its own dispatch
	// at once (a replica a moment behind is read again).
	for i, n := range nodes {
		st, err := n.Notification("jo", "n0")
		if err != nil || !st.Acked() || st.Seq != 1 {
			t.Fatalf("node %d: state of n0: %+v %v", i, st, err)
		}
		id := fmt.Sprintf("fresh%d", i)
		if _, err := n.Publish("jo", noteWithID(id)); err != nil {
			t.Fatal(err)
		}
		if res, err := n.Ack("jo", id, protocol.ViaWeb); err != nil || !res.Acked {
			t.Fatalf("node %d: ack of its own fresh dispatch: %+v %v", i, res, err)
		}
	}
	if _, err := nodes[1].Ack("jo", "never-sent", protocol.ViaWeb); !errors.Is(err, protocol.ErrNotInHistory) {
		t.Fatalf("ack of an id never sent: %v, want ErrNotInHistory", err)
	}
	res, err := nodes[2].Recent("jo", 3)
	if err != nil || len(res.Alerts) != 3 || res.Alerts[0].ID != "fresh2" || res.Alerts[0].AckedVia == nil {
		t.Fatalf("recent: %+v %v", res, err)
	}
}

// noteWithID is a notification with the given id.
func noteWithID(id string) []byte { return []byte(fmt.Sprintf(`{"id":%q}`, id)) }
