package notifyrunner

import (
	"fmt"
	"os"
	"sync"
)

// LogFile is an append-only log bounded in size: when a write would take it
// past Max bytes, the file is renamed to <path>.1 (replacing the previous
// one) and a new file started. At most about 2×Max bytes are ever on disk.
//
// Why not lumberjack: it prunes old files on a background goroutine, which a
// short-lived cron process can exit before, so its bound does not hold for
// notify-runner; this one rotates synchronously in the write.
type LogFile struct {
	Path string
	Max  int64

	mu   sync.Mutex
	f    *os.File
	size int64
}

// Write appends p, rotating first if needed. A single write larger than Max
// still goes in whole, into a fresh file.
func (l *LogFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		if err := l.open(); err != nil {
			return 0, err
		}
	}
	if l.size > 0 && l.size+int64(len(p)) > l.Max {
		if err := l.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

// Close closes the file.
func (l *LogFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

func (l *LogFile) open() error {
	f, err := os.OpenFile(l.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log: %w", err)
	}
	l.f, l.size = f, fi.Size()
	return nil
}

func (l *LogFile) rotate() error {
	_ = l.f.Close()
	l.f = nil
	if err := os.Rename(l.Path, l.Path+".1"); err != nil {
		return fmt.Errorf("rotate log: %w", err)
	}
	return l.open()
}
