package notifyscript

import (
	"strings"
	"testing"
	"time"
)

func TestParseOutput(t *testing.T) {
	out, err := ParseOutput([]byte("\n {\"notify\": true, \"title\": \"Revenue\\u0007 drop\\nnow\", \"message\": \"a\\r\\nb\", \"image_path\": \" /tmp/x.png \", \"cooldown\": \"30m\", \"data\": {\"k\": 1}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !out.Notify || out.Title != "Revenue drop now" || out.Message != "a\nb" || out.ImagePath != "/tmp/x.png" || out.Cooldown != "30m" || string(out.Data) != `{"k": 1}` {
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
