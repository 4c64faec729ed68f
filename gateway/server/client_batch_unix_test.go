//go:build unix

package server

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The writer's batches (client.writeFrames): what it holds goes out
// concatenated, writeBatchBytes at a time. These tests check what a batch
// could break: order across a batch's end, a write the socket takes only
// partly, a close between batches.

// sizedFrame is frame i of sizes[i%len(sizes)] bytes (see bigFrame).
func sizedFrame(i int, sizes []int) []byte { return bigFrame(i, sizes[i%len(sizes)]) }

func sizedFrames(n int, sizes []int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = sizedFrame(i, sizes)
	}
	return out
}

// readSized reads want frames, checking each is sizedFrame(i) whole and
// in order, slowly at first so the writer's socket stays full.
func readSized(peer *websocket.Conn, want int, sizes []int) error {
	for i := 0; i < want; i++ {
		if i < 8 {
			time.Sleep(5 * time.Millisecond)
		}
		peer.SetReadDeadline(time.Now().Add(10 * time.Second))
		mt, data, err := peer.ReadMessage()
		if err != nil {
			return fmt.Errorf("frame %d: %w", i, err)
		}
		if mt != websocket.TextMessage || !bytes.Equal(data, sizedFrame(i, sizes)) {
			return fmt.Errorf("frame %d: got %d bytes starting %.12q, want frame %d whole (%d bytes)", i, len(data), data, i, len(sizedFrame(i, sizes)))
		}
	}
	return nil
}

// Sizes that end batches at every kind of place: tiny frames, ones that
// just fill a batch, the 64 KiB budget itself (a batch of its own), and
// lengths at the header's encoding steps (125/126, 65535/65536).
var batchEdgeSizes = []int{120, 125, 126, 300, 20 << 10, 64 << 10, 7, 0xffff - 7, 40 << 10, 1000, 64<<10 - 30, 126, 31 << 10}

// A queue of many frames over sockets of a few KiB, so every batch is
// taken partly and finished as room comes: every frame arrives whole and
// in order across the batches' ends, and frames delivered while the queue
// is written follow it.
func TestQueuedBatchesArriveWholeInOrderThroughPartialWrites(t *testing.T) {
	const queued, live = 150, 40
	c, peer := writePairQueued(t, 1024, sizedFrames(queued, batchEdgeSizes), 4<<10)
	done := make(chan error, 1)
	go func() { done <- readSized(peer, queued+live, batchEdgeSizes) }()
	for i := queued; i < queued+live; i++ {
		if !c.Deliver(sizedFrame(i, batchEdgeSizes)) {
			t.Fatalf("frame %d refused", i)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// The same with the system's socket buffers (batches taken whole, most
// often), and many small frames, several batches' worth.
func TestManySmallQueuedFramesArriveInOrder(t *testing.T) {
	sizes := []int{200, 333, 1 << 10, 90}
	const n = 3000
	_, peer := writePairQueued(t, 1024, sizedFrames(n, sizes), 0)
	if err := readSized(peer, n, sizes); err != nil {
		t.Fatal(err)
	}
}

// A revoke while the writer is in the middle of a long queue ends it
// cleanly: whole frames in order, then the auth_error and the close frame
// (1008), never a split frame, and the rest of the queue is not written.
func TestRevokeInTheMiddleOfABatchedQueueEndsCleanly(t *testing.T) {
	sizes := []int{8 << 10, 300, 30 << 10}
	const n = 400 // ~5 MB: far more than the small sockets hold
	for round := 0; round < 6; round++ {
		c, peer := writePairQueued(t, 1024, sizedFrames(n, sizes), 4<<10)
		go func() {
			time.Sleep(time.Duration(round) * 3 * time.Millisecond)
			c.Revoke()
		}()
		got, revoked := 0, false
		for {
			peer.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, data, err := peer.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
					t.Fatalf("round %d: after %d frames: %v, want the close frame 1008", round, got, err)
				}
				break
			}
			if revoked {
				t.Fatalf("round %d: a frame after the auth_error: %.20q", round, data)
			}
			if bytes.Equal(data, revokedJSON) {
				revoked = true
				continue
			}
			if !bytes.Equal(data, sizedFrame(got, sizes)) {
				t.Fatalf("round %d: got %d bytes starting %.12q, want frame %d whole", round, len(data), data, got)
			}
			got++
		}
		if !revoked {
			t.Fatalf("round %d: closed without the auth_error", round)
		}
		if got == n {
			t.Fatalf("round %d: the whole queue was written before the revoke: nothing tested", round)
		}
	}
}
