// Package envmap turns an environment in os.Environ's form into a map, so
// every configuration loader can take its environment as a plain []string
// (testable, no global state) and look variables up by name.
package envmap

import "strings"

// Env is an environment by variable name.
type Env map[string]string

// Get is the variable's value with surrounding spaces trimmed, or def when
// it is unset or blank: how every loader reads a setting with a default.
func (e Env) Get(name, def string) string {
	if v := strings.TrimSpace(e[name]); v != "" {
		return v
	}
	return def
}

// Parse returns environ's NAME=value pairs by name; a later pair wins, as
// in the process environment.
func Parse(environ []string) Env {
	env := make(Env, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}
