package server

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"sync"
	"unsafe"

	"github.com/valyala/fasthttp"
)

// The upgrade request is parsed by fasthttp's RequestHeader (the dispatch
// socket's library) when it is plain: whole in the handshake's buffer, a
// GET of HTTP/1.1 with an origin-form path of plain characters, no body,
// no line folding and CRLF line ends, and fasthttp finds nothing wrong
// with it. Anything else is read by net/http's http.ReadRequest, as
// before, with its answers. net/http's parser cost ~6% of a connect's CPU
// (a header map, its canonical keys and values, the URL: 15 allocations
// and ~3 µs); fasthttp's ~0.4 µs and nothing allocated. For a plain
// request both give the same method and the same values of the headers
// read here (request_test.go compares them over valid and malformed
// requests, and fuzzes it): gorilla's Upgrade reads only those, and the
// gateway X-Real-IP.

// upgradeHeaders are the request headers gorilla's Upgrade reads (Origin
// is not checked: see upgrader) and the gateway's X-Real-IP, in canonical
// form, as http.Header keys them.
var upgradeHeaders = [...]string{
	"Connection", "Upgrade", "Sec-Websocket-Version", "Sec-Websocket-Key",
	"Sec-Websocket-Protocol", "Sec-Websocket-Extensions", "Origin", "X-Real-Ip",
}

// fastRequest is a plain upgrade request as fasthttp parsed it, lent to
// gorilla as an *http.Request whose header values point into hdr's
// buffers: valid until release, after the upgrade.
type fastRequest struct {
	hdr  fasthttp.RequestHeader
	src  bytes.Reader
	br   *bufio.Reader // over src: what hdr reads
	req  http.Request
	vals [len(upgradeHeaders)][4]string
}

var fastRequests = sync.Pool{New: func() any {
	f := &fastRequest{br: bufio.NewReaderSize(nil, 4096)}
	f.req.Header = make(http.Header, len(upgradeHeaders))
	return f
}}

// readPlainRequest parses br's request with fasthttp if it is plain,
// consuming it; nil (and br untouched) if it is not.
func readPlainRequest(br *bufio.Reader) *fastRequest {
	b, _ := br.Peek(br.Buffered())
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 || !plainRequestBytes(b[:end+2]) {
		return nil
	}
	f := fastRequests.Get().(*fastRequest)
	f.src.Reset(b[:end+4])
	f.br.Reset(&f.src)
	if f.hdr.Read(f.br) != nil || !f.plain() {
		f.release()
		return nil
	}
	clear(f.req.Header)
	for i, k := range upgradeHeaders {
		vs := f.hdr.PeekAll(k)
		if len(vs) == 0 {
			continue
		}
		if len(vs) > len(f.vals[i]) {
			f.release()
			return nil // unusual: net/http reads it
		}
		for j, v := range vs {
			f.vals[i][j] = unsafe.String(unsafe.SliceData(v), len(v))
		}
		f.req.Header[k] = f.vals[i][:len(vs):len(vs)]
	}
	f.req.Method = http.MethodGet
	br.Discard(end + 4)
	return f
}

// plainRequestBytes: the header block b (up to its last CRLF) has CRLF
// line ends only, no folded line, no NUL; its request line is a GET of an
// origin-form path of unreserved characters by HTTP/1.1.
func plainRequestBytes(b []byte) bool {
	line, _, _ := bytes.Cut(b, []byte("\r\n"))
	path, ok := bytes.CutPrefix(line, []byte("GET "))
	if !ok {
		return false
	}
	path, ok = bytes.CutSuffix(path, []byte(" HTTP/1.1"))
	if !ok || len(path) == 0 || path[0] != '/' {
		return false
	}
	for _, c := range path {
		if !plainPathByte(c) {
			return false
		}
	}
	for i, c := range b {
		switch {
		case c == 0:
			return false
		case c == '\n' && (i == 0 || b[i-1] != '\r'):
			return false
		case c == '\n' && i+1 < len(b) && (b[i+1] == ' ' || b[i+1] == '\t'):
			return false // a folded line (obs-fold)
		case c == '\r' && (i+1 == len(b) || b[i+1] != '\n'):
			return false
		}
	}
	return true
}

func plainPathByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("/-._~", c) >= 0
}

// plain: what fasthttp parsed has no body and no close asked.
func (f *fastRequest) plain() bool {
	h := &f.hdr
	return string(h.Method()) == http.MethodGet && string(h.Protocol()) == "HTTP/1.1" &&
		h.ContentLength() == -2 && !h.ConnectionClose() && len(h.Peek("Transfer-Encoding")) == 0
}

func (f *fastRequest) release() {
	f.hdr.Reset()
	f.src.Reset(nil)
	f.br.Reset(nil)
	clear(f.req.Header)
	f.vals = [len(upgradeHeaders)][4]string{}
	fastRequests.Put(f)
}
