package protocol

// go test -run "^$" -bench "ParseAuthFrame|VerifyToken" ./gateway/protocol/

import (
	"encoding/json"
	"testing"
	"time"
)

func BenchmarkParseAuthFrame(b *testing.B) {
	secret := []byte("bench-secret-0123456789abcdef0123456789abcdef")
	tok, _, _ := IssueToken(secret, "", "user12345", time.Now())
	data, _ := json.Marshal(AuthFrame{Type: TypeAuth, Token: tok})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseAuthFrame(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyToken(b *testing.B) {
	secret := []byte("bench-secret-0123456789abcdef0123456789abcdef")
	tok, _, _ := IssueToken(secret, "", "user12345", time.Now())
	now := time.Now()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := VerifyToken(secret, "", tok, now); err != nil {
			b.Fatal(err)
		}
	}
}
