package server

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The hand-written dispatch answer must stay byte-for-byte what the JSON
// encoder would write for protocol.DispatchResponse, so a field added to
// the contract cannot be silently left out of the hot path.
func TestDispatchAnswerMatchesJSON(t *testing.T) {
	for _, res := range []protocol.DispatchResponse{
		{}, {Sent: 1, Stored: true, Seq: 1}, {Sent: 5, Stored: true, Seq: math.MaxUint64},
		{Sent: 0, Stored: false, Seq: 42},
	} {
		want, _ := json.Marshal(res)
		want = append(want, '\n')
		if got := appendDispatchAnswer(nil, res); string(got) != string(want) {
			t.Errorf("answer %q, want %q", got, want)
		}
	}
}
