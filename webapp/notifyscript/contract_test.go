package notifyscript

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseOutput(t *testing.T) {
	out, err := ParseOutput([]byte("\n {\"notify\": true, \"title\": \"Revenue\\u0007 drop\\nnow\", \"message\": \"a\\r\\nb\", \"image_path\": \" /tmp/x.png \", \"cooldown\": \"30m\", \"data\": {\"k\": 1}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !out.Notify || out.Title != "Revenue drop now" || out.Message != "a\nb" || out.ImagePath != "/tmp/x.png" || out.Cooldown != "30m" || string(out.Data) != `{"k":1}` {
		t.Fatalf("unexpected output %+v", out)
	}
	if out.CooldownDuration() != 30*time.Minute || len(out.Warnings) != 0 {
		t.Fatalf("cooldown %v warnings %v", out.CooldownDuration(), out.Warnings)
	}

	out, err = ParseOutput([]byte(`{"notify": false}`))
	if err != nil || out.Notify || out.CooldownDuration() != DefaultCooldown {
		t.Fatalf("notify false: %+v %v", out, err)
	}
}

func TestParseOutputRefusals(t *testing.T) {
	for in, want := range map[string]string{
		``:                                  "printed nothing",
		`hello`:                             "not a JSON object",
		`[true]`:                            "not a JSON object",
		`{"notify": true`:                   "not valid JSON",
		`{"title": "x"}`:                    `no "notify" field`,
		`{"notify": "yes"}`:                 `"notify" must be true or false`,
		`{"notify": true, "title": 5}`:      `"title" must be a string`,
		`{"notify": true} {"notify": true}`: "more than one JSON value",
		`{"notify": true, "data": [1]}`:     `"data" must be a JSON object`,
	} {
		_, err := ParseOutput([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) || CodeOf(err) != CodeBadOutput {
			t.Errorf("ParseOutput(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}

func TestParseOutputKeepsAlertDespiteBadCooldownAndLongText(t *testing.T) {
	long := strings.Repeat("é", MaxMessageRunes+50)
	out, err := ParseOutput([]byte(`{"notify": true, "cooldown": "soon", "message": "` + long + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	if out.CooldownDuration() != DefaultCooldown || len(out.Warnings) != 2 {
		t.Fatalf("warnings %v", out.Warnings)
	}
	if n := len([]rune(out.Message)); n != MaxMessageRunes || !strings.HasSuffix(out.Message, "…") {
		t.Fatalf("message has %d runes", n)
	}
}

func TestParseCooldown(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"": DefaultCooldown, "0": 0, "30m": 30 * time.Minute, "1h": time.Hour, " 6H ": 6 * time.Hour,
		"1d": 24 * time.Hour, "2w": 14 * 24 * time.Hour, "45s": 45 * time.Second,
	} {
		got, err := ParseCooldown(in)
		if err != nil || got != want {
			t.Errorf("ParseCooldown(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"h", "-1h", "1.5h", "1y", "10", "400d", "99999999999999w", "1h30m"} {
		if _, err := ParseCooldown(in); err == nil {
			t.Errorf("ParseCooldown(%q) accepted", in)
		}
	}
	for d, want := range map[time.Duration]string{time.Hour: "1h", 90 * time.Minute: "90m", 48 * time.Hour: "2d", 0: "0", 5 * time.Second: "5s"} {
		if got := FormatCooldown(d); got != want {
			t.Errorf("FormatCooldown(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"revenue_check.py", "a.py", "Daily-KPIs.v2.py"} {
		if err := ValidName(ok); err != nil {
			t.Errorf("ValidName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".py", ".hidden.py", "-x.py", "../x.py", "a/b.py", `a\b.py`, "x.sh", "x", "x .py", "x;rm.py", "x\n.py", strings.Repeat("a", 130) + ".py", "ünï.py"} {
		if err := ValidName(bad); err == nil || CodeOf(err) != CodeBadName {
			t.Errorf("ValidName(%q) = %v, want bad_name", bad, err)
		}
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 1, 30, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{10 * time.Second: "just now", 5 * time.Minute: "5m ago", 3 * time.Hour: "3h ago", 50 * time.Hour: "2d ago"} {
		if got := Ago(now, now.Add(-d)); got != want {
			t.Errorf("Ago(%v) = %q, want %q", d, got, want)
		}
	}
}

// Data up to the budget is passed through as encoding/json writes it; a
// bigger object, counted after escaping ('<' takes 6 bytes), is replaced by
// a marker that says so, with a warning, and the alert still goes out.
func TestParseOutputBoundsData(t *testing.T) {
	small := `{"html": "<b>", "n": [1, 2]}`
	out, err := ParseOutput([]byte(`{"notify": true, "data": ` + small + `}`))
	if err != nil || string(out.Data) != `{"html":"\u003cb\u003e","n":[1,2]}` || len(out.Warnings) != 0 {
		t.Fatalf("small data: %s %v %v", out.Data, out.Warnings, err)
	}

	// 200 KB of data; and data that only escaping takes over the bound.
	for name, data := range map[string]string{
		"200 KB":            `{"rows": "` + strings.Repeat("x", 200<<10) + `"}`,
		"over when escaped": `{"rows": "` + strings.Repeat("<", MaxDataBytes/6+10) + `"}`,
	} {
		out, err := ParseOutput([]byte(`{"notify": true, "title": "T", "data": ` + data + `}`))
		if err != nil || !out.Notify || out.Title != "T" {
			t.Fatalf("%s: %+v %v", name, out, err)
		}
		var m DataDropped
		if err := json.Unmarshal(out.Data, &m); err != nil || m.Dropped == "" || m.Bytes <= MaxDataBytes || m.MaxBytes != MaxDataBytes {
			t.Fatalf("%s: data %s is not the marker", name, out.Data)
		}
		if len(out.Data) > 200 {
			t.Fatalf("%s: marker is %d bytes", name, len(out.Data))
		}
		if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "more than the") {
			t.Fatalf("%s: warnings %v", name, out.Warnings)
		}
		// Fitting again (the webapp does, before dispatching) changes nothing.
		again := out.Fit()
		if string(again.Data) != string(out.Data) || len(again.Warnings) != 1 {
			t.Fatalf("%s: refit %s %v", name, again.Data, again.Warnings)
		}
	}

	// Exactly at the bound is kept.
	at := `{"k":"` + strings.Repeat("x", MaxDataBytes-len(`{"k":""}`)) + `"}`
	if d, w := FitData(json.RawMessage(at)); string(d) != at || w != "" {
		t.Fatalf("data at the bound: %d bytes, warning %q", len(d), w)
	}
	// What a misbehaving producer could hand the webapp: not an object.
	for _, bad := range []string{`[1]`, `{"a":`, `"s"`} {
		if d, w := FitData(json.RawMessage(bad)); !strings.Contains(string(d), "dropped") || w == "" {
			t.Errorf("%s: %s %q", bad, d, w)
		}
	}
}

// An Output that did not come from ParseOutput (the helper's JSON, read by
// the webapp) is cut by Fit just the same.
func TestFitCutsTextFromElsewhere(t *testing.T) {
	o := Output{Notify: true, Title: strings.Repeat("é", MaxTitleRunes+1) + "\x07", Message: strings.Repeat("m", MaxMessageRunes+5)}.Fit()
	if n := len([]rune(o.Title)); n != MaxTitleRunes {
		t.Fatalf("title %d runes", n)
	}
	if n := len([]rune(o.Message)); n != MaxMessageRunes || len(o.Warnings) != 2 {
		t.Fatalf("message %d runes, warnings %v", n, o.Warnings)
	}
}

// A script's other strings do not grow the logs, the state or the Run
// answer either: a bad cooldown is echoed short and not kept, an
// impossible image_path is dropped.
func TestParseOutputBoundsOtherStrings(t *testing.T) {
	out, err := ParseOutput([]byte(`{"notify": true, "cooldown": "` + strings.Repeat("9", 100000) + `", "image_path": "/` + strings.Repeat("a", 5000) + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	if out.Cooldown != "" || out.ImagePath != "" || out.CooldownDuration() != DefaultCooldown || len(out.Warnings) != 2 {
		t.Fatalf("cooldown %d bytes, image_path %d bytes, warnings %v", len(out.Cooldown), len(out.ImagePath), out.Warnings)
	}
	for _, w := range out.Warnings {
		if len(w) > 200 {
			t.Fatalf("warning of %d bytes", len(w))
		}
	}
}
