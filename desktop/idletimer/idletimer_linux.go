package idletimer

import (
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// fdTimer is a CLOCK_MONOTONIC timerfd; a goroutine waits for its
// expiries in the netpoller (a blocked read costs no wake-up).
type fdTimer struct {
	f *os.File
	c chan time.Time

	mu      sync.Mutex // orders an expiry's delivery against Reset and Stop
	stopped bool
}

func newFD(d time.Duration) (Timer, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_CLOEXEC|unix.TFD_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("timerfd_create", err)
	}
	t := &fdTimer{f: os.NewFile(uintptr(fd), "idletimer"), c: make(chan time.Time, 1)}
	if _, err := t.set(d); err != nil {
		t.f.Close()
		return nil, err
	}
	go t.wait()
	return t, nil
}

func (t *fdTimer) Chan() <-chan time.Time { return t.c }

// wait delivers each expiry, until the file is closed. An expiry read just
// as Reset re-armed the timer is stale: it is dropped.
func (t *fdTimer) wait() {
	var buf [8]byte // the count of expiries
	for {
		if _, err := t.f.Read(buf[:]); err != nil {
			return // closed by Stop
		}
		t.mu.Lock()
		if armed, err := t.armed(); err == nil && !armed && !t.stopped {
			select {
			case t.c <- time.Now():
			default:
			}
		}
		t.mu.Unlock()
	}
}

func (t *fdTimer) Reset(d time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	select { // an expiry not received yet is from before
	case <-t.c:
	default:
	}
	was, _ := t.set(d)
	return was
}

func (t *fdTimer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	t.stopped = true
	was, _ := t.settime(unix.ItimerSpec{})
	t.f.Close()
	return was
}

// set arms the timer for d from now (at once for d <= 0) and says whether
// it was armed.
func (t *fdTimer) set(d time.Duration) (bool, error) {
	return t.settime(unix.ItimerSpec{Value: unix.NsecToTimespec(int64(max(d, 1)))}) // a zero value would disarm it
}

// settime sets the timerfd's next expiry (zero: disarmed) and says whether
// it was armed.
func (t *fdTimer) settime(next unix.ItimerSpec) (bool, error) {
	var old unix.ItimerSpec
	err := t.control(func(fd int) error { return unix.TimerfdSettime(fd, 0, &next, &old) }, "timerfd_settime")
	return old.Value != (unix.Timespec{}), err
}

// armed says whether the timer is armed (its expiry is still to come).
func (t *fdTimer) armed() (bool, error) {
	var cur unix.ItimerSpec
	err := t.control(func(fd int) error { return unix.TimerfdGettime(fd, &cur) }, "timerfd_gettime")
	return cur.Value != (unix.Timespec{}), err
}

// control runs f on the descriptor, which stays open meanwhile (f.Fd would
// put the file in blocking mode, out of the netpoller).
func (t *fdTimer) control(f func(fd int) error, call string) error {
	sc, err := t.f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := sc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return os.NewSyscallError(call, ferr)
}
