package wake

import (
	"encoding/binary"
	"errors"
	"log/slog"
	"math"
	"os"
	"syscall"

	"github.com/godbus/dbus/v5"
	"golang.org/x/sys/unix"
)

// osSources on Linux: logind's PrepareForSleep(false) on the system bus
// (the resume), a timerfd cancelled when the wall clock is set, and a
// netlink route socket for links and addresses. All three are file
// descriptors Go's netpoller waits on: nothing wakes until the kernel has
// news. The kernel cancels the timerfd on resume too (timekeeping_resume
// calls timerfd_resume, "resume is equivalent to clock_was_set"), so a
// machine without logind (no system bus, another init) still sees its
// resumes; only without both does the fallback look for them.
func osSources(e sourceEnv) covers {
	var c covers
	logind, err := dbus.ConnectSystemBus()
	if err == nil {
		err = watchLogind(e, logind)
		if err != nil {
			logind.Close()
		}
	}
	if err != nil {
		e.log.Info("logind not reachable for sleep events; the clock-change timer still sees resumes", slog.Any("error", err))
	}
	c.sleep = err == nil
	if err := watchClock(e); err != nil {
		e.log.Warn("cannot watch for clock changes", slog.Any("error", err))
	} else {
		c.sleep = true
	}
	if err := watchNetlink(e); err != nil {
		e.log.Warn("cannot watch for network changes", slog.Any("error", err))
	} else {
		c.network = true
	}
	return c
}

// Logind's manager, which announces sleep (PrepareForSleep(true)) and the
// resume (PrepareForSleep(false)).
const (
	logindName  = "org.freedesktop.login1"
	logindPath  = dbus.ObjectPath("/org/freedesktop/login1")
	logindIface = "org.freedesktop.login1.Manager"
)

// watchLogind sends resumed for each PrepareForSleep(false) that logind
// emits on conn; conn is closed when e.ctx ends. The match names logind's
// well-known name as the sender, so the bus passes on only what its owner
// emits.
func watchLogind(e sourceEnv, conn *dbus.Conn) error {
	err := conn.AddMatchSignal(dbus.WithMatchSender(logindName), dbus.WithMatchObjectPath(logindPath),
		dbus.WithMatchInterface(logindIface), dbus.WithMatchMember("PrepareForSleep"))
	if err != nil {
		return err
	}
	signals := make(chan *dbus.Signal, 4)
	conn.Signal(signals)
	e.spawn(func() {
		defer conn.Close()
		for {
			select {
			case <-e.ctx.Done():
				return
			case s := <-signals:
				if s.Name == logindIface+".PrepareForSleep" && len(s.Body) == 1 && s.Body[0] == false {
					e.send(resumed)
				}
			}
		}
	})
	return nil
}

// watchClock sends clockSet each time the kernel cancels a timerfd armed
// with TFD_TIMER_CANCEL_ON_SET: the wall clock was set, or the computer
// resumed. It never expires (armed for the end of time).
func watchClock(e sourceEnv) error {
	fd, err := unix.TimerfdCreate(unix.CLOCK_REALTIME, unix.TFD_CLOEXEC|unix.TFD_NONBLOCK)
	if err != nil {
		return os.NewSyscallError("timerfd_create", err)
	}
	arm := func() error {
		never := unix.ItimerSpec{Value: unix.Timespec{Sec: math.MaxInt64}}
		return os.NewSyscallError("timerfd_settime",
			unix.TimerfdSettime(fd, unix.TFD_TIMER_ABSTIME|unix.TFD_TIMER_CANCEL_ON_SET, &never, nil))
	}
	if err := arm(); err != nil {
		unix.Close(fd)
		return err
	}
	f := os.NewFile(uintptr(fd), "timerfd") // non-blocking: read waits in the netpoller
	e.spawn(func() { <-e.ctx.Done(); f.Close() })
	e.spawn(func() {
		var buf [8]byte
		for {
			_, err := f.Read(buf[:])
			switch {
			case errors.Is(err, unix.ECANCELED):
				e.send(clockSet)
				if err := arm(); err != nil {
					e.log.Warn("cannot re-arm the clock-change timer", slog.Any("error", err))
					return
				}
			case errors.Is(err, os.ErrClosed):
				return
			case err != nil:
				e.log.Warn("clock-change timer failed", slog.Any("error", err))
				return
			}
		}
	})
	return nil
}

// watchNetlink sends netChanged for each address added or removed, and each
// interface added, removed, or set up or down. Other link messages (a
// Wi-Fi driver's wireless events, carrier flaps with the interface still
// up) are not looked at: the fingerprint would not move.
func watchNetlink(e sourceEnv) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	groups := uint32(unix.RTMGRP_LINK | unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return os.NewSyscallError("bind", err)
	}
	f := os.NewFile(uintptr(fd), "netlink")
	e.spawn(func() { <-e.ctx.Done(); f.Close() })
	e.spawn(func() {
		buf := make([]byte, 8<<10)
		for {
			n, err := f.Read(buf)
			switch {
			case errors.Is(err, unix.ENOBUFS): // the kernel dropped messages: something happened
				e.send(netChanged)
			case errors.Is(err, os.ErrClosed):
				return
			case err != nil:
				e.log.Warn("network-change socket failed", slog.Any("error", err))
				return
			case netlinkMatters(buf[:n]):
				e.send(netChanged)
			}
		}
	})
	return nil
}

// netlinkMatters says whether a netlink datagram changes what Fingerprint
// sees.
func netlinkMatters(b []byte) bool {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return true // truncated: look anyway
	}
	for _, m := range msgs {
		switch m.Header.Type {
		case unix.RTM_NEWADDR, unix.RTM_DELADDR, unix.RTM_DELLINK:
			return true
		case unix.RTM_NEWLINK:
			// struct ifinfomsg: family, pad, type, index, flags, change
			if len(m.Data) < unix.SizeofIfInfomsg {
				return true
			}
			if change := binary.NativeEndian.Uint32(m.Data[12:16]); change&unix.IFF_UP != 0 {
				return true // a new interface has every bit in change
			}
		}
	}
	return false
}
