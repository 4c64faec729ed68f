package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// Centrifugo (github.com/centrifugal/centrifugo/v6), measured beside our
// gateway by the same phases (--centrifugo): the best peer, configured as
// issue 17 asks: connection tokens checked with HMAC (the same HS256
// tokens our gateway takes), each user server-side subscribed to its
// personal channel "personal:#<user>" with history 200 and recovery, and
// publications through its HTTP API. It is a benchmark's peer only, not a
// dependency of anything that ships.

const (
	centrifugoAPIKey = "loadgen-api-key"
	// personalNamespace is the namespace of the users' personal channels.
	personalNamespace = "personal"
)

// centrifugoConfig is Centrifugo v6's configuration for the benchmark.
func centrifugoConfig(port int) ([]byte, error) {
	return json.MarshalIndent(map[string]any{
		"log":         map[string]any{"level": "error"},
		"http_server": map[string]any{"address": "127.0.0.1", "port": port},
		"client": map[string]any{
			"token": map[string]any{"hmac_secret_key": secret},
			"subscribe_to_user_personal_channel": map[string]any{
				"enabled": true, "personal_channel_namespace": personalNamespace,
			},
		},
		"channel": map[string]any{"namespaces": []any{map[string]any{
			"name": personalNamespace, "history_size": 200, "history_ttl": "720h", "force_recovery": true,
		}}},
		"http_api": map[string]any{"key": centrifugoAPIKey},
	}, "", "  ")
}

// personalChannel is user i's personal channel ("#" is Centrifugo's user
// boundary: only that user may be subscribed to it).
func personalChannel(i int) string { return personalNamespace + ":#" + user(i) }

// startCentrifugo runs bin with the benchmark's configuration and waits
// until its HTTP API answers.
func startCentrifugo(bin, dir string) (*target, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf, err := centrifugoConfig(port)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "centrifugo.json")
	if err := os.WriteFile(path, conf, 0o600); err != nil {
		return nil, err
	}
	g := &gateway{addr: fmt.Sprintf("127.0.0.1:%d", port), centrifugo: true}
	g.upgrade = upgradeRequestPath(g.addr, "/connection/websocket")
	g.cmd = exec.Command(bin, "--config", path)
	g.cmd.Stdout, g.cmd.Stderr = os.Stderr, os.Stderr
	if err := g.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start centrifugo: %w", err)
	}
	g.pid = g.cmd.Process.Pid
	t := &target{gws: []*gateway{g}}
	p := newPublisher(g.addr, 1)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := p.numClients(); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.kill()
			return nil, fmt.Errorf("centrifugo did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	g.baseRSS, _ = rssKB(g.pid)
	return t, nil
}

// centrifugoConnectFrame is the client protocol's (JSON) connect command.
func centrifugoConnectFrame(token string) ([]byte, error) {
	return json.Marshal(map[string]any{"id": 1, "connect": map[string]any{"token": token}})
}

// isCentrifugoConnected reports whether frame is the connect reply that
// subscribed user i to its personal channel.
func isCentrifugoConnected(frame []byte, i int) bool {
	return bytes.HasPrefix(frame, []byte(`{"id":1,"connect":{`)) &&
		bytes.Contains(frame, []byte(`"`+personalChannel(i)+`":{`))
}

// publisher sends publications through Centrifugo's HTTP API with the
// same client the dispatchers use for our gateway (over loopback TCP:
// Centrifugo's API does not listen on a unix socket).
type publisher struct {
	hc *fasthttp.HostClient
}

func newPublisher(addr string, conns int) *publisher {
	return &publisher{hc: &fasthttp.HostClient{
		Addr: addr,
		Dial: func(a string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: -1}).Dial("tcp", a)
		},
		MaxConns:           conns,
		MaxConnWaitTimeout: 10 * time.Second,
		ReadTimeout:        10 * time.Second,
		WriteTimeout:       10 * time.Second,
	}}
}

func (p *publisher) call(method string, body []byte) ([]byte, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + p.hc.Addr + "/api/" + method)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.Header.Set("X-API-Key", centrifugoAPIKey)
	req.SetBody(body)
	if err := p.hc.Do(req, resp); err != nil {
		return nil, err
	}
	if resp.StatusCode() != fasthttp.StatusOK {
		return nil, fmt.Errorf("%s answered %d: %s", method, resp.StatusCode(), resp.Body())
	}
	// An API error comes back as 200 with an "error" object.
	var res struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(resp.Body(), &res); err != nil {
		return nil, fmt.Errorf("%s answered %q: %w", method, resp.Body(), err)
	}
	if res.Error != nil {
		return nil, fmt.Errorf("%s: error %d %s", method, res.Error.Code, res.Error.Message)
	}
	return res.Result, nil
}

// publishTo publishes to user i's personal channel what dispatchTo sends
// our gateway: a title and the send time as the message, so the receiver
// reads the latency from it the same way.
func (p *publisher) publishTo(i int, tag string) error {
	buf := make([]byte, 0, 112)
	buf = append(buf, `{"channel":"`...)
	buf = append(buf, personalChannel(i)...)
	buf = append(buf, `","data":{"title":"`...)
	buf = append(buf, tag...)
	buf = append(buf, `","message":"`...)
	buf = strconv.AppendInt(buf, time.Now().UnixNano(), 10)
	buf = append(buf, `"}}`...)
	if _, err := p.call("publish", buf); err != nil {
		return fmt.Errorf("publish to %s: %w", user(i), err)
	}
	return nil
}

// numClients is the number of connections Centrifugo holds (its info API).
func (p *publisher) numClients() (int, error) {
	res, err := p.call("info", []byte(`{}`))
	if err != nil {
		return 0, err
	}
	var info struct {
		Nodes []struct {
			NumClients int `json:"num_clients"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(res, &info); err != nil {
		return 0, err
	}
	n := 0
	for _, node := range info.Nodes {
		n += node.NumClients
	}
	return n, nil
}
