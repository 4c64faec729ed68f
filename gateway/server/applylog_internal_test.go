package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/metrics"
)

// A failing background round is logged once, and its end once, in the
// same terms: the store's background round, not the bbolt database the
// history no longer is.
func TestApplyLoggerLogsTheFailureAndTheRecoveryOnce(t *testing.T) {
	var buf bytes.Buffer
	apply := applyLogger(slog.New(slog.NewJSONHandler(&buf, nil)), metrics.New())
	apply(0, errors.New("fsync: input/output error"))
	apply(0, errors.New("fsync: input/output error"))
	apply(7, nil)
	apply(3, nil)
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 || lines[0]["level"] != "ERROR" || lines[1]["level"] != "INFO" {
		t.Fatalf("want one error and one recovery line, got:\n%s", &buf)
	}
	failed, recovered := lines[0]["msg"].(string), lines[1]["msg"].(string)
	const topic = "the store's background round"
	if !strings.HasPrefix(failed, topic) || !strings.HasPrefix(recovered, topic) {
		t.Fatalf("the lines are not about the same thing:\n%s\n%s", failed, recovered)
	}
	if strings.Contains(recovered, "database") || lines[1]["records_compacted"] != 7.0 {
		t.Fatalf("recovery line %v", lines[1])
	}
}
