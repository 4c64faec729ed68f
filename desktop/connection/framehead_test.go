package connection

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/store"
)

func TestHeadScannerFindsTopLevelFieldsOnly(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want frameHead
	}{
		{`{"type":"notification","seq":7,"epoch":"e1","message":"x"}`, frameHead{"notification", 7, "e1"}},
		// the slow path of the gateway writes keys in order: seq after message
		{`{"epoch":"e2","id":"a","message":"\"seq\":99, {\"seq\":98}","seq":12,"type":"notification"}`, frameHead{"notification", 12, "e2"}},
		{`{"type":"notification","data":{"seq":5,"epoch":"inner"},"seq":6 , "epoch" : "outer"}`, frameHead{"notification", 6, "outer"}},
		{`{"type":"notification","seq":-1}`, frameHead{Type: "notification"}},
		{`{"type":"notification","seq":1.5}`, frameHead{Type: "notification"}},
		{`{"type":"notification","seq":"3"}`, frameHead{Type: "notification"}},
		{`{"type":"notification","seq":42`, frameHead{"notification", 42, ""}}, // cut short
		{`{"typ\u0065":"x","seq":4}`, frameHead{Seq: 4}},                       // an escaped key is not ours
		{`["seq",1]`, frameHead{}},
		{`not json`, frameHead{}},
	} {
		if got := scanHead([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// FuzzHeadScannerAgreesWithEncodingJSON: whatever the scanner finds in a
// frame encoding/json can read is what encoding/json reads.
func FuzzHeadScannerAgreesWithEncodingJSON(f *testing.F) {
	f.Add([]byte(`{"type":"notification","seq":7,"epoch":"e1","message":"x"}`))
	f.Add([]byte(`{"a":{"seq":1},"seq":2,"epoch":"\u00e9"}`))
	f.Add([]byte(`{"seq":18446744073709551615,"type":"ping"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ref struct {
			Type  string `json:"type"`
			Seq   uint64 `json:"seq"`
			Epoch string `json:"epoch"`
		}
		if json.Unmarshal(b, &ref) != nil || !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
			return
		}
		if bytes.Contains(b, []byte(`\`)) { // escapes: the scanner may find less, never something else
			got := scanHead(b)
			if (got.Seq != 0 && got.Seq != ref.Seq) || (got.Epoch != "" && got.Epoch != ref.Epoch) {
				t.Fatalf("%s: scanner %+v, json %+v", b, got, ref)
			}
			return
		}
		got := scanHead(b)
		if got.Seq != ref.Seq || (len(ref.Epoch) <= maxHeadValue && got.Epoch != ref.Epoch) ||
			(len(ref.Type) <= maxHeadValue && got.Type != ref.Type) {
			t.Fatalf("%s: scanner %+v, json %+v", b, got, ref)
		}
	})
}

func TestReadFrameKeepsAtMostTheLimit(t *testing.T) {
	big := `{"type":"notification","seq":3,"epoch":"e","message":"` + strings.Repeat("x", 200) + `"}`
	fr, err := readFrame(strings.NewReader(big), 64)
	if err != nil || !fr.tooBig || fr.data != nil || fr.size != int64(len(big)) || fr.head != (frameHead{"notification", 3, "e"}) {
		t.Fatalf("%+v %v", fr, err)
	}
	fr, err = readFrame(strings.NewReader(`{"type":"ping"}`), 64)
	if err != nil || fr.tooBig || string(fr.data) != `{"type":"ping"}` {
		t.Fatalf("%+v %v", fr, err)
	}
}

// TestUnreadableRecordsAreSkippedOnce: the gateway holds, between readable
// alerts, a 1 MiB record (over protocol.MaxFrameBytes), a record whose
// fields have the wrong types and one that is not JSON at all. The app
// keeps its one link, shows an entry for each saying what happened, moves
// its cursor past them, and a newer alert arrives, once. (Before, the 1 MiB
// frame failed the link, the resume asked for it again, about once a
// second, and nothing newer ever arrived.)
func TestUnreadableRecordsAreSkippedOnce(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	defer gw.Stop()
	dispatch(t, gw, "a")

	// Records no dispatch can make any more (the gateway refuses them with
	// 413 / 400), written into its store directly.
	gw.Stop()
	st, err := store.Open(gw.StateDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The frames are written by hand: protocol.NotificationFrameBytes now
	// refuses the first (too large) itself.
	for _, frame := range []string{
		`{"type":"notification","seq":%d,"epoch":%q,"id":"big","title":"huge","message":"` + strings.Repeat("x", 1<<20) + `"}`,
		`{"type":"notification","seq":%d,"epoch":%q,"id":"typed","title":5}`,
		`{"type":"notification","seq":%d,"epoch":%q,"title":"cut`, // not JSON
	} {
		_, err := st.Append("petr", func(seq uint64, epoch string) ([]byte, error) {
			return fmt.Appendf(nil, frame, seq, epoch), nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	gw.Restart(t)

	h := newHarness(t, gw, Options{})
	h.run()
	defer h.stop()
	h.waitState(Connected)
	h.waitCount(4)
	dispatch(t, gw, "z")
	h.waitCount(5)
	time.Sleep(300 * time.Millisecond) // time for a repeat to show up
	got := h.waitCount(5)
	if len(got) != 5 {
		t.Fatalf("got %d notifications, want 5: %s", len(got), ids(got))
	}
	for i, want := range []string{"t a", "An alert was too large to show (seq 2)",
		"An alert could not be read (seq 3)", "An alert could not be read (seq 4)", "t z"} {
		if got[i].Title != want || got[i].Seq != uint64(i+1) || got[i].Epoch == "" {
			t.Errorf("notification %d: %q seq %d epoch %q, want %q seq %d", i, got[i].Title, got[i].Seq, got[i].Epoch, want, i+1)
		}
	}
	if !strings.Contains(got[1].Message, "of 1048") {
		t.Errorf("the entry does not say how large the alert was: %q", got[1].Message)
	}
	for {
		select {
		case s := <-h.statuses:
			if s.State != Connected {
				t.Fatalf("the link did not hold: %+v", s)
			}
			continue
		default:
		}
		break
	}
}
