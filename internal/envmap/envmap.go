// Package envmap turns an environment in os.Environ's form into a map, so
// every configuration loader can take its environment as a plain []string
// (testable, no global state) and look variables up by name.
package envmap

import "strings"

// Parse returns environ's NAME=value pairs by name; a later pair wins, as
// in the process environment.
func Parse(environ []string) map[string]string {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}
