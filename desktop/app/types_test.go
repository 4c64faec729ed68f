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

// TestBridgeMatchesTheBoundMethods keeps the hand-written bridge
// (frontend/src/api.ts, interface GoAPI) in step with the methods Wails
// binds on *API: the same names, each argument's type and the result (Wails
// resolves a method's first result, Promise<void> for an error alone, and
// rejects with the error).
func TestBridgeMatchesTheBoundMethods(t *testing.T) {
	src, err := os.ReadFile("../../frontend/src/api.ts")
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile(`(?s)interface GoAPI \{(.*?)\n\}`).FindSubmatch(src)
	if body == nil {
		t.Fatal("no interface GoAPI in api.ts")
	}
	ts := map[string]string{}
	method := regexp.MustCompile(`(?m)^\s+(\w+)\(([^)]*)\): (Promise<[^>]+>);`)
	for _, m := range method.FindAllStringSubmatch(string(body[1]), -1) {
		var args []string
		for _, a := range strings.Split(m[2], ",") {
			if a = strings.TrimSpace(a); a != "" {
				_, typ, _ := strings.Cut(a, ":")
				args = append(args, strings.TrimSpace(typ))
			}
		}
		ts[m[1]] = "(" + strings.Join(args, ", ") + "): " + m[3]
	}
	errType := reflect.TypeOf((*error)(nil)).Elem()
	goSide := map[string]string{}
	api := reflect.TypeOf(&API{})
	for i := 0; i < api.NumMethod(); i++ {
		m := api.Method(i)
		var args []string
		for j := 1; j < m.Type.NumIn(); j++ { // 0 is the receiver
			args = append(args, tsType(t, m.Type.In(j)))
		}
		result := "void"
		switch n := m.Type.NumOut(); {
		case n == 2 && m.Type.Out(1) == errType, n == 1 && m.Type.Out(0) != errType:
			result = tsType(t, m.Type.Out(0))
		case n == 1 && m.Type.Out(0) == errType:
		default:
			t.Errorf("%s: results %v; a bound method returns (T), (error) or (T, error)", m.Name, m.Type)
		}
		goSide[m.Name] = "(" + strings.Join(args, ", ") + "): Promise<" + result + ">"
	}
	if len(goSide) != len(ts) {
		t.Errorf("API has %d methods, the bridge declares %d", len(goSide), len(ts))
	}
	for name, want := range goSide {
		if got, ok := ts[name]; !ok {
			t.Errorf("api.ts GoAPI lacks %s%s", name, want)
		} else if got != want {
			t.Errorf("api.ts GoAPI.%s%s; the bound method is %s%s", name, got, name, want)
		}
	}
	for name, got := range ts {
		if _, ok := goSide[name]; !ok {
			t.Errorf("api.ts GoAPI.%s%s: no such bound method", name, got)
		}
	}
}

// tsType is the TypeScript name of a Go type the bridge carries (types.ts
// names its interfaces after the Go types).
func tsType(t *testing.T, typ reflect.Type) string {
	switch {
	case typ.Kind() == reflect.String && typ.PkgPath() == "":
		return "string"
	case typ.Kind() == reflect.Bool && typ.PkgPath() == "":
		return "boolean"
	case typ.Kind() == reflect.Slice:
		return tsType(t, typ.Elem()) + "[]"
	case typ.Kind() == reflect.Struct && typ.Name() != "":
		return typ.Name()
	}
	t.Errorf("no TypeScript name for %v", typ)
	return typ.String()
}
