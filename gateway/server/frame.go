package server

import "sync"

// appendTextFrame appends payload as one final, unmasked WebSocket text
// frame (RFC 6455 5.2), as gorilla writes a server's frame: a server's
// frames are not masked, so the bytes are the header and the payload.
func appendTextFrame(dst, payload []byte) []byte {
	const finText = 0x80 | 0x1
	n := len(payload)
	switch {
	case n <= 125:
		dst = append(dst, finText, byte(n))
	case n <= 0xffff:
		dst = append(dst, finText, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, finText, 127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, payload...)
}

// maxFrameHeader is the longest header appendTextFrame writes.
const maxFrameHeader = 10

// writeBatchBytes bounds what a writer concatenates into one write
// (client.writeFrames): a replay page of usual notifications fits, and a
// writer waiting on a slow peer holds no more than this beside its page.
const writeBatchBytes = 64 << 10

// batchBufs recycles the writers' batch buffers, each room for a batch:
// the largest frame (the 64 KiB budget and its header) fits one.
var batchBufs = sync.Pool{New: func() any { b := make([]byte, 0, writeBatchBytes+maxFrameHeader); return &b }}

// frameBufs recycles the buffers inline writes build their frame in. A
// buffer grown past maxPooledFrame (a rare large notification) is left
// to the collector.
var frameBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxPooledFrame = 16 << 10

func putFrameBuf(bp *[]byte, buf []byte) {
	if cap(buf) <= maxPooledFrame {
		*bp = buf[:0]
		frameBufs.Put(bp)
	}
}
