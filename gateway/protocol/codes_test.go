package protocol

import "testing"

func TestTokenRefused(t *testing.T) {
	for _, c := range []struct {
		status int
		code   string
		want   bool
	}{
		{401, CodeUnauthorized, true},
		{401, CodeTokenRevoked, true},
		{401, "", true}, // a proxy's 401, no JSON
		{403, CodeForbidden, false},
		{403, "", false},
		{400, "not_linked", false},
		{500, "internal", false},
		{401, "some_other_code", false}, // the code decides, not the status
	} {
		if got := TokenRefused(c.status, c.code); got != c.want {
			t.Errorf("TokenRefused(%d, %q) = %v, want %v", c.status, c.code, got, c.want)
		}
	}
}
