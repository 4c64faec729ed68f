package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The resume storm (--resume-storm N): what a gateway restart costs when
// N apps resume at once. Each user is given --resume-frames stored
// notifications while offline; then N apps connect at once, each resuming
// from the start of the history, and read auth_ok and every replayed
// frame. Measured over the storm: the gateway's CPU and its write system
// calls (/proc/PID/io's syscw) per replayed frame.

// resumeFigures are one storm's results.
type resumeFigures struct {
	apps, frames int
	dur          time.Duration
	cpu          float64 // gateway seconds
	writes       int64   // gateway write system calls
}

func resumeStorm(o options, t *target) (*resumeFigures, error) {
	g := t.gws[0]
	// Seed: every user's history, stored while the user is offline.
	d := newDispatcher(g.socket, o.dispatchers)
	seedDur, err := each(o.resumeApps*o.resumeFrames, o.dispatchers, func(i int) error {
		return d.store(i%o.resumeApps, "r")
	})
	if err != nil {
		return nil, fmt.Errorf("seed: %v", err)
	}
	fmt.Printf("seeded %d users with %d notifications each in %v\n", o.resumeApps, o.resumeFrames, seedDur.Round(time.Millisecond))
	h, err := g.client.Health(context.Background())
	if err != nil {
		return nil, fmt.Errorf("health: %v", err)
	}
	frames := make([][]byte, o.resumeApps)
	for i := range frames {
		token, _, _ := protocol.IssueToken([]byte(secret), "", user(i), time.Now())
		auth, _ := json.Marshal(protocol.AuthFrame{Type: protocol.TypeAuth, Token: token,
			Resume: &protocol.Resume{Epoch: h.Epoch, Seq: 0}})
		if frames[i], err = textFrame(auth); err != nil {
			return nil, err
		}
	}
	time.Sleep(2 * time.Second) // the seeding's garbage and compaction settle
	f := &resumeFigures{apps: o.resumeApps, frames: o.resumeFrames}
	var got atomic.Int64
	conns := make([]*rawConn, o.resumeApps)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.c.Close()
			}
		}
	}()
	cpu0, w0 := t.cpu(), writeCalls(g.pid)
	f.dur, err = each(o.resumeApps, o.connectors, func(i int) error {
		rc, answer, err := rawDial(g.addr, g.upgrade, frames[i])
		if err != nil {
			return err
		}
		conns[i] = rc
		var ok protocol.AuthOK
		if json.Unmarshal(answer, &ok) != nil || ok.Type != protocol.TypeAuthOK || ok.Replay == nil || *ok.Replay != o.resumeFrames {
			return fmt.Errorf("resume of %s answered %s, want auth_ok replaying %d", user(i), answer, o.resumeFrames)
		}
		rc.c.SetReadDeadline(time.Now().Add(30 * time.Second))
		var last uint64
		for n := 0; n < o.resumeFrames; n++ {
			p, err := rc.nextText(true)
			if err != nil {
				return fmt.Errorf("%s: replayed frame %d: %v", user(i), n, err)
			}
			seq, err := seqOf(p)
			if err != nil || seq <= last {
				return fmt.Errorf("%s: replayed frame %d has seq %d after %d (%v)", user(i), n, seq, last, err)
			}
			last = seq
		}
		got.Add(int64(o.resumeFrames))
		return nil
	})
	f.cpu, f.writes = t.cpu()-cpu0, writeCalls(g.pid)-w0
	if err != nil {
		return nil, err
	}
	if n := got.Load(); n != int64(o.resumeApps*o.resumeFrames) {
		return nil, fmt.Errorf("replayed %d frames, want %d", n, o.resumeApps*o.resumeFrames)
	}
	return f, nil
}

func (f *resumeFigures) print() {
	n := float64(f.apps * f.frames)
	fmt.Printf("resume storm: %d apps x %d frames in %v: gateway %.3f CPU-µs per replayed frame, %.3f write calls per frame (%d in all), %.0f CPU-µs per resume\n",
		f.apps, f.frames, f.dur.Round(time.Millisecond), f.cpu/n*1e6, float64(f.writes)/n, f.writes, f.cpu/float64(f.apps)*1e6)
}

// seqOf reads a replayed frame's seq.
func seqOf(frame []byte) (uint64, error) {
	var m struct {
		Seq uint64 `json:"seq"`
	}
	err := json.Unmarshal(frame, &m)
	return m.Seq, err
}

// writeCalls is a process's write system calls so far (/proc/PID/io's
// syscw: write, writev, sendmsg and the like); -1 when unreadable.
func writeCalls(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "syscw: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}
