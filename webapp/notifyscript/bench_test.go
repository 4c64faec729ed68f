package notifyscript

import (
	"context"
	"testing"
	"time"
)

var sampleOutput = []byte(`{"notify": true, "title": "Revenue down 39% on 2025-12-03", "message": "Revenue was 26,273 from 475 orders, against a usual 43,942 for this weekday.\nCheck the checkout funnel.", "image_path": "/home/petr/.notifications/out/revenue_chart.png", "cooldown": "2m", "data": {"date": "2025-12-03", "revenue": 26272.54, "usual": 43941.6}}`)

func BenchmarkParseOutput(b *testing.B) {
	b.SetBytes(int64(len(sampleOutput)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseOutput(sampleOutput); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecTrue is the runner's own cost of starting one script in its
// process group, capturing its output and cleaning up, without Python.
func BenchmarkExecTrue(b *testing.B) {
	for b.Loop() {
		res, err := Exec(context.Background(), ExecSpec{Argv: []string{"/bin/true"}, Timeout: 10 * time.Second})
		if err != nil || res.ExitCode != 0 {
			b.Fatal(err, res.ExitCode)
		}
	}
}

// BenchmarkRunPythonScript is one whole script run: python3 start-up, a
// print, parsing. Python's start-up dominates.
func BenchmarkRunPythonScript(b *testing.B) {
	h := Home(b.TempDir())
	writeScriptB(b, h, "x.py", "print('{\"notify\": true, \"title\": \"t\"}')\n")
	for b.Loop() {
		if _, _, err := h.Run(context.Background(), "x.py", RunOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
