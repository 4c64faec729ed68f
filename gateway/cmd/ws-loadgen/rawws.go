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

func rawDial(addr string, authFrame []byte) (*rawConn, []byte, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, nil, err
	}
	rc := &rawConn{c: c, br: bufio.NewReaderSize(c, 1024)}
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
	if err := rc.writeText(authFrame); err != nil {
		c.Close()
		return nil, nil, err
	}
	answer, err := rc.readText()
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	c.SetDeadline(time.Time{})
	return rc, answer, nil
}

func (rc *rawConn) writeText(p []byte) error {
	hdr := make([]byte, 0, 14+len(p))
	hdr = append(hdr, 0x81) // FIN, text
	switch n := len(p); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n < 1<<16:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		return errors.New("frame too large for the load generator")
	}
	hdr = append(hdr, 0, 0, 0, 0) // zero mask key: payload unchanged
	_, err := rc.c.Write(append(hdr, p...))
	return err
}

// readText returns the next text frame's payload (valid until the next call).
func (rc *rawConn) readText() ([]byte, error) {
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
		buf := make([]byte, n)
		if _, err := io.ReadFull(rc.br, buf); err != nil {
			return nil, err
		}
		switch op {
		case 0x1:
			return buf, nil
		case 0x8:
			return nil, io.EOF
		}
	}
}
