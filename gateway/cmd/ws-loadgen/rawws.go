package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// A minimal WebSocket client written from RFC 6455 for the load generator:
// a full client library spends more CPU per connection than the gateway
// does, which on a 2-core machine would measure the generator, not the
// gateway. It speaks only what the benchmark needs: the upgrade, masked
// text frames out (with a zero mask, which RFC 6455 allows), unmasked text
// frames in.
type rawConn struct {
	c  net.Conn
	br *bufio.Reader
}

// dialer skips TCP keep-alive (a few setsockopt calls per connection), as
// the gateway does on its side: the benchmark's peers do not vanish.
var dialer = net.Dialer{KeepAlive: -1}

// upgradeRequest is the handshake the generator sends, built once per
// address.
func upgradeRequest(addr string) []byte { return upgradeRequestPath(addr, "/") }

// upgradeRequestPath is the handshake for a WebSocket endpoint at path.
func upgradeRequestPath(addr, path string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
}

// textFrame is p as one masked client text frame.
func textFrame(p []byte) ([]byte, error) {
	f := make([]byte, 0, 14+len(p))
	f = append(f, 0x81) // FIN, text
	switch n := len(p); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		return nil, errors.New("frame too large for the load generator")
	}
	f = append(f, 0, 0, 0, 0) // zero mask key: payload unchanged
	return append(f, p...), nil
}

// rawDial connects, upgrades, sends authFrame (a prepared client frame)
// and returns the connection and the first text frame the gateway answers
// (valid until the next read). One deadline covers the whole handshake.
func rawDial(addr string, upgrade, authFrame []byte) (*rawConn, []byte, error) {
	c, err := dialer.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(upgrade); err != nil {
		c.Close()
		return nil, nil, err
	}
	// Small: held for every connection, and the frames are small (a
	// larger one is read past the buffer).
	rc := &rawConn{c: c, br: bufio.NewReaderSize(c, 256)}
	status, err := rc.br.ReadSlice('\n')
	if err != nil || !bytes.HasPrefix(status, []byte("HTTP/1.1 101")) {
		c.Close()
		return nil, nil, fmt.Errorf("upgrade refused: %q %v", status, err)
	}
	for { // skip the headers
		line, err := rc.br.ReadSlice('\n')
		if err != nil {
			c.Close()
			return nil, nil, err
		}
		if len(line) <= 2 {
			break
		}
	}
	if _, err := c.Write(authFrame); err != nil {
		c.Close()
		return nil, nil, err
	}
	answer, err := rc.nextText(true)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	c.SetDeadline(time.Time{})
	return rc, answer, nil
}

func (rc *rawConn) writeText(p []byte) error {
	f, err := textFrame(p)
	if err != nil {
		return err
	}
	_, err = rc.c.Write(f)
	return err
}

// readText returns the next text frame's payload, which the caller owns.
func (rc *rawConn) readText() ([]byte, error) { return rc.nextText(false) }

// nextText returns the next text frame's payload. With borrow, a payload
// that fits the read buffer is returned in place, valid only until the
// next read, sparing an allocation.
func (rc *rawConn) nextText(borrow bool) ([]byte, error) {
	for {
		h, err := rc.br.Peek(2)
		if err != nil {
			return nil, err
		}
		op, n := h[0]&0x0f, int(h[1]&0x7f)
		rc.br.Discard(2)
		switch n {
		case 126:
			b, err := rc.br.Peek(2)
			if err != nil {
				return nil, err
			}
			n = int(binary.BigEndian.Uint16(b))
			rc.br.Discard(2)
		case 127:
			return nil, errors.New("frame too large for the load generator")
		}
		var buf []byte
		if borrow && n <= rc.br.Size() {
			if buf, err = rc.br.Peek(n); err != nil {
				return nil, err
			}
			rc.br.Discard(n) // the bytes stay in the buffer until the next read
		} else {
			buf = make([]byte, n)
			if _, err := io.ReadFull(rc.br, buf); err != nil {
				return nil, err
			}
		}
		switch op {
		case 0x1:
			return buf, nil
		case 0x8:
			return nil, io.EOF
		}
	}
}
