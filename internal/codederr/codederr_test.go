package codederr

import (
	"errors"
	"fmt"
	"testing"
)

type code string

func TestErrorKeepsCodeMessageAndCause(t *testing.T) {
	cause := errors.New("open /secret/path: permission denied")
	err := fmt.Errorf("loading: %w", New(code("not_found"), "no such script", cause))
	if got := CodeOf(err, code("internal")); got != "not_found" {
		t.Fatalf("CodeOf = %q", got)
	}
	if !errors.Is(err, cause) {
		t.Fatal("the cause is not in the chain")
	}
	e, ok := As[code](err)
	if !ok || e.Message != "no such script" || e.Error() != "no such script: open /secret/path: permission denied" {
		t.Fatalf("As = %+v, %v", e, ok)
	}
	if New(code("x"), "plain", nil).Error() != "plain" {
		t.Fatal("an error without a cause is its message")
	}
}

func TestCodeOfAnotherErrorOrAnotherCodeType(t *testing.T) {
	type other string
	if got := CodeOf(errors.New("boom"), code("internal")); got != "internal" {
		t.Fatalf("plain error: %q", got)
	}
	if got := CodeOf(New(other("bad"), "m", nil), code("internal")); got != "internal" {
		t.Fatalf("an error of another code type: %q", got)
	}
}
