package app

import (
	"context"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// Snooze holds back a script's alerts (the Scripts tab): until is a
// duration such as "1h" or an RFC 3339 time. The server's runner still
// runs the script and sends one summary when the snooze ends.
func (p *API) Snooze(name, until string) (protocol.SnoozeResponse, error) {
	tok, err := p.token()
	if err != nil {
		return protocol.SnoozeResponse{}, err
	}
	ctx, cancel := context.WithTimeout(p.a.context(), callTimeout)
	defer cancel()
	res, err := p.a.client().Snooze(ctx, tok, name, until)
	return res, p.refused(err)
}

// Unsnooze ends a script's snooze.
func (p *API) Unsnooze(name string) (protocol.SnoozeResponse, error) {
	tok, err := p.token()
	if err != nil {
		return protocol.SnoozeResponse{}, err
	}
	ctx, cancel := context.WithTimeout(p.a.context(), callTimeout)
	defer cancel()
	res, err := p.a.client().Unsnooze(ctx, tok, name)
	return res, p.refused(err)
}

// Quiet returns the user's quiet hours (Settings); Quiet null when none.
func (p *API) Quiet() (protocol.QuietResponse, error) {
	tok, err := p.token()
	if err != nil {
		return protocol.QuietResponse{}, err
	}
	ctx, cancel := context.WithTimeout(p.a.context(), callTimeout)
	defer cancel()
	q, err := p.a.client().Quiet(ctx, tok)
	return protocol.QuietResponse{Quiet: q}, p.refused(err)
}

// SetQuiet sets the user's quiet hours ("22:00-07:00", an IANA zone or ""
// for the server's) and returns what is set; the server refuses bad input
// with its reason and changes nothing.
func (p *API) SetQuiet(window, zone string) (protocol.QuietResponse, error) {
	return p.setQuiet(protocol.QuietRequest{Window: window, TZ: zone})
}

// QuietOff removes the user's quiet hours.
func (p *API) QuietOff() (protocol.QuietResponse, error) {
	return p.setQuiet(protocol.QuietRequest{Off: true})
}

func (p *API) setQuiet(req protocol.QuietRequest) (protocol.QuietResponse, error) {
	tok, err := p.token()
	if err != nil {
		return protocol.QuietResponse{}, err
	}
	ctx, cancel := context.WithTimeout(p.a.context(), callTimeout)
	defer cancel()
	q, err := p.a.client().SetQuiet(ctx, tok, req)
	return protocol.QuietResponse{Quiet: q}, p.refused(err)
}
