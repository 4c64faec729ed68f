package protocol

import (
	"encoding/json"
	"strings"
	"testing"
)

// A list is split by count and by encoded size, in order, each part a body
// the gateway accepts; ids whose JSON grows six-fold (< is \u003c) still fit.
func TestAckChunks(t *testing.T) {
	var qs []AckQuery
	for range 2500 {
		qs = append(qs, AckQuery{User: "petr", ID: "n"})
	}
	if c := ackChunks(qs, MaxAckQueries, MaxDispatchBytes); len(c) != 3 || len(c[0]) != 1000 || len(c[2]) != 500 {
		t.Fatalf("by count: %d chunks", len(c))
	}
	if c := ackChunks(nil, MaxAckQueries, MaxDispatchBytes); len(c) != 0 {
		t.Fatalf("none: %d chunks", len(c))
	}
	big := AckQuery{User: strings.Repeat("<", MaxUserBytes), ID: strings.Repeat("<", MaxIDBytes)}
	qs = qs[:0]
	for range MaxAckQueries {
		qs = append(qs, big)
	}
	chunks := ackChunks(qs, MaxAckQueries, MaxDispatchBytes)
	n := 0
	for _, c := range chunks {
		b, _ := json.Marshal(AckQueries{Notifications: c})
		if len(b) > MaxDispatchBytes {
			t.Fatalf("a chunk of %d bytes", len(b))
		}
		n += len(c)
	}
	if len(chunks) < 2 || n != MaxAckQueries {
		t.Fatalf("by size: %d chunks of %d queries", len(chunks), n)
	}
}

func TestParseAckQueries(t *testing.T) {
	qs, err := ParseAckQueries([]byte(`{"notifications":[{"user":"petr","id":"a"},{"user":"jana","id":"b"}]}`))
	if err != nil || len(qs) != 2 || qs[1] != (AckQuery{User: "jana", ID: "b"}) {
		t.Fatalf("%+v %v", qs, err)
	}
	for body, says := range map[string]string{
		`{"notifications":[{"user":"petr","id":"a"},{"user":"pe\ntr","id":"b"}]}`: "notifications[1]: user must be",
		`{"notifications":[{"user":"petr","id":""}]}`:                             "notifications[0]: missing id",
		`{"notifications":null}`:                                                  "missing",
		`[]`:                                                                      "invalid JSON",
	} {
		if _, err := ParseAckQueries([]byte(body)); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("%s: %v, want %q", body, err, says)
		}
	}
}
