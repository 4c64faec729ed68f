package cluster

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/cluster/natstest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/store"
)

func TestMigrateKeepsEpochSeqsAndRevocations(t *testing.T) {
	// A single gateway's store: ann has 5 (the last 3 kept), bob 2, and
	// ann has a revocation.
	st, err := store.Open(t.TempDir(), store.Options{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, u := range []string{"ann", "bob", "ann", "ann", "bob", "ann", "ann"} {
		if _, err := st.Append(u, func(seq uint64, epoch string) ([]byte, error) {
			return protocol.NotificationFrameBytes([]byte(fmt.Sprintf(`{"id":"%s-%d"}`, u, seq)), seq, epoch, time.Now())
		}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.SetRevoked("ann", 1234); err != nil {
		t.Fatal(err)
	}
	nc := natstest.Start(t, 3)
	o := Options{URLs: nc.URLs(), Replicas: 3, HistoryLimit: 200}
	res, err := Migrate(o, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Epoch != st.Epoch() || res.Users != 2 || res.Records != 5 || res.Skipped != 0 || res.Revocations != 1 {
		t.Fatalf("migrate: %+v", res)
	}
	// Again (an interrupted run resumed): nothing copied twice.
	if res, err = Migrate(o, st, nil); err != nil || res.Records != 0 || res.Skipped != 5 {
		t.Fatalf("second migrate: %+v, %v", res, err)
	}

	n := openNode(t, "gw-0", nc.URLs(), nil)
	if n.Epoch() != st.Epoch() {
		t.Fatalf("cluster epoch %q, want the store's %q", n.Epoch(), st.Epoch())
	}
	// An app that had seen ann's seq 3 on the single gateway resumes on
	// the cluster with 4 and 5, the very same frames.
	want, _ := st.Since("ann", st.Epoch(), 3)
	got, err := n.Since("ann", protocol.Resume{Epoch: st.Epoch(), Seq: 3})
	if err != nil || len(got) != 2 || !slices.EqualFunc(got, want, func(a, b store.Record) bool {
		return a.Seq == b.Seq && string(a.Frame) == string(b.Frame)
	}) {
		t.Fatalf("resumed history = %+v, %v; want %+v", got, err, want)
	}
	if r, err := n.Publish("ann", note(6)); err != nil || r.Seq != 6 {
		t.Fatalf("next dispatch: %+v, %v; want seq 6", r, err)
	}
	if c := n.Cutoff("ann"); c != 1234 {
		t.Fatalf("cutoff = %d, want 1234", c)
	}

	// Into a cluster that has another history: refused.
	other, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := Migrate(o, other, nil); !errors.Is(err, ErrOtherHistory) {
		t.Fatalf("migrate into another history: %v, want ErrOtherHistory", err)
	}
}
