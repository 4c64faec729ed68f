package apperr

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeSurvivesWrappingAndCauseStaysOutOfTheUI(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.1:443: secret detail")
	err := fmt.Errorf("refresh: %w", New(Network, "Cannot reach the server", cause))
	if CodeOf(err) != Network || !errors.Is(err, cause) {
		t.Fatalf("code %s", CodeOf(err))
	}
	p := Format(err).(Public)
	if p.Code != Network || p.Message != "Cannot reach the server" {
		t.Fatalf("%+v", p)
	}
	if p := Format(errors.New("boom")).(Public); p.Code != Internal || p.Message == "boom" {
		t.Fatalf("a plain error leaked to the UI: %+v", p)
	}
}
