package app

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/desktop/apperr"
	"github.com/keboola/analyst-alerts/desktop/auth"
	"github.com/keboola/analyst-alerts/desktop/connection"
	"github.com/keboola/analyst-alerts/desktop/store"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// TestPageTypesMatchTheGoTypes keeps frontend/src/types.ts, the page's view
// of the bound API, in step with the Go types it mirrors: every JSON field
// on one side must be on the other (the drift check gotify runs on its API
// spec, done here without a generator).
func TestPageTypesMatchTheGoTypes(t *testing.T) {
	src, err := os.ReadFile("../../frontend/src/types.ts")
	if err != nil {
		t.Fatal(err)
	}
	ts := map[string][]string{}
	iface := regexp.MustCompile(`(?s)export interface (\w+) \{(.*?)\n\}`)
	field := regexp.MustCompile(`(?m)^\s+(\w+)\??:`)
	for _, m := range iface.FindAllStringSubmatch(string(src), -1) {
		for _, f := range field.FindAllStringSubmatch(m[2], -1) {
			ts[m[1]] = append(ts[m[1]], f[1])
		}
	}
	for name, v := range map[string]any{
		"State": State{}, "ConnStatus": connection.Status{}, "Account": auth.Account{},
		"Item": store.Item{}, "ScriptInfo": protocol.ScriptInfo{}, "ScriptHealth": protocol.ScriptHealth{}, "Open": Open{}, "AppError": apperr.Public{},
	} {
		got := ts[name]
		want := jsonFields(reflect.TypeOf(v))
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("types.ts %s has %v; the Go type sends %v", name, got, want)
		}
	}
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
