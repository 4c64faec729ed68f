package protocol

import (
	"encoding/json"
	"testing"
)

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

// auth_error's code, both ways: a frame from a gateway older than the code
// still counts as a refused token (the app refreshes, as it always did);
// a new frame decides by its code; and an app older than the code reads
// the new frame's message as before (its struct had type and message).
func TestAuthErrorCodeCompatibility(t *testing.T) {
	for _, c := range []struct {
		frame string
		want  bool
	}{
		{`{"type":"auth_error","message":"invalid token: token has expired"}`, true}, // an older gateway
		{`{"type":"auth_error","message":"invalid token: signature is invalid","code":"unauthorized"}`, true},
		{`{"type":"auth_error","message":"token revoked","code":"token_revoked"}`, true},
		{`{"type":"auth_error","message":"too many connections","code":"unavailable"}`, false},
		{`{"type":"auth_error","message":"not an auth message","code":"bad_request"}`, false},
		{`{"type":"auth_error","message":"internal error","code":"internal"}`, false},
		{`{"type":"auth_error","message":"?","code":"a_code_from_the_future"}`, false},
	} {
		var ae AuthError
		if err := json.Unmarshal([]byte(c.frame), &ae); err != nil {
			t.Fatal(err)
		}
		if got := ae.TokenRefused(); got != c.want {
			t.Errorf("%s: TokenRefused() = %v, want %v", c.frame, got, c.want)
		}
	}

	b, err := json.Marshal(AuthError{Type: TypeAuthError, Message: "too many connections", Code: CodeUnavailable})
	if err != nil {
		t.Fatal(err)
	}
	var old struct{ Type, Message string } // the app's AuthError before the code
	if err := json.Unmarshal(b, &old); err != nil || old.Type != TypeAuthError || old.Message != "too many connections" {
		t.Fatalf("an older app reads %s as %+v, %v", b, old, err)
	}
	if b, _ := json.Marshal(AuthError{Type: TypeAuthError, Message: "m"}); string(b) != `{"type":"auth_error","message":"m"}` {
		t.Fatalf("without a code the frame is %s, not the old shape", b)
	}
}
