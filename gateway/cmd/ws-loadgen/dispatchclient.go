package main

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// dispatcher is the load generator's own client for the dispatch socket.
// protocol.Client rides on net/http's Transport, whose two goroutines and
// channel hand-offs per connection cost the generator more CPU per
// dispatch than the gateway spends answering it; on a 2-core machine that
// would measure the generator. fasthttp's HostClient (a well-kept
// library) parses a full HTTP/1.1 answer with no goroutine of its own and
// next to no allocation. The wire is the same: POST /dispatch with the
// JSON body of the contract, and every answer is checked.
type dispatcher struct {
	hc *fasthttp.HostClient
}

// newDispatcher returns a client keeping up to conns keep-alive
// connections to the socket.
func newDispatcher(socket string, conns int) *dispatcher {
	return &dispatcher{hc: &fasthttp.HostClient{
		Addr:               "gateway", // the Host header; the dialer ignores it
		Dial:               func(string) (net.Conn, error) { return net.DialTimeout("unix", socket, 2*time.Second) },
		MaxConns:           conns,
		MaxConnWaitTimeout: 10 * time.Second,
		ReadTimeout:        10 * time.Second,
		WriteTimeout:       10 * time.Second,
	}}
}

// dispatchTo sends user i a notification whose message is the send time
// (the receiver computes the latency from it) and checks that the gateway
// answered 200 with "sent":1.
func (d *dispatcher) dispatchTo(i int, tag string) error {
	// user(i) and tag are plain ASCII and the message is digits: the body
	// needs no JSON encoder.
	buf := make([]byte, 0, 96)
	buf = append(buf, `{"user":"`...)
	buf = append(buf, user(i)...)
	buf = append(buf, `","notification":{"title":"`...)
	buf = append(buf, tag...)
	buf = append(buf, `","message":"`...)
	buf = strconv.AppendInt(buf, time.Now().UnixNano(), 10)
	buf = append(buf, `"}}`...)
	res, err := d.post(i, buf)
	if err != nil {
		return err
	}
	if res.Sent != 1 {
		return fmt.Errorf("dispatch to %s reached %d connections", user(i), res.Sent)
	}
	return nil
}

// store sends user i a notification for its history (the user is offline:
// it is stored, sent to nobody) and checks that it was stored.
func (d *dispatcher) store(i int, tag string) error {
	res, err := d.post(i, []byte(`{"user":"`+user(i)+`","notification":{"title":"`+tag+`","message":"a stored notification of usual length, as a resuming app is sent: an alert's title, its message and a link or two"}}`))
	if err != nil {
		return err
	}
	if !res.Stored {
		return fmt.Errorf("dispatch to %s was not stored", user(i))
	}
	return nil
}

// post sends one dispatch body for user i and reads the gateway's answer,
// which must be a 200 with a dispatch response.
func (d *dispatcher) post(i int, body []byte) (protocol.DispatchResponse, error) {
	var res protocol.DispatchResponse
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://gateway" + protocol.PathDispatch)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.SetBody(body)
	if err := d.hc.Do(req, resp); err != nil {
		return res, fmt.Errorf("dispatch to %s: %w", user(i), err)
	}
	if resp.StatusCode() != fasthttp.StatusOK {
		return res, fmt.Errorf("dispatch to %s answered %d: %s", user(i), resp.StatusCode(), resp.Body())
	}
	if err := json.Unmarshal(resp.Body(), &res); err != nil {
		return res, fmt.Errorf("dispatch to %s answered %q: %w", user(i), resp.Body(), err)
	}
	return res, nil
}
