package store

// The guard against older gateways. Before round three the history was
// history.db (bbolt); such a gateway opens that path first thing (creating
// it when missing), and then deletes every journal segment it cannot read:
// started on this layout (after a package rollback, say) it would destroy
// the history. So whenever the folder is in this layout, history.db is a
// short text file that bbolt refuses: the older gateway stops at start with
// "open …/history.db: invalid database", before it reads or deletes
// anything, and an operator who looks at the file reads why.

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// guardHeader starts the guard; the rest is for the operator. The whole
// text stays under 1 KB: bbolt's Open (v1.5.0, which those gateways were
// built with) takes a file of 4 KB or more whose meta pages do not check
// out for a database of the OS's page size and reads on; a file too short
// for a second meta page is "invalid database" at once. Never empty either:
// bbolt makes an empty file a new database.
const guardHeader = "ws-gateway state format 2: not a database\n"

const guardText = guardHeader + `
This folder holds the notification history of ws-gateway from round three
on: journal-*.log and state.db. Gateways before that kept the history in a
bbolt database at this path and would delete the journal they cannot read.
This file stops them at start ("history.db: invalid database"). Keep it.
To run an older gateway again, see "Rolling back" in docs/gateway.md.
`

type oldHistory int

const (
	oldHistoryAbsent oldHistory = iota // a new folder (or one set aside before the guard existed)
	oldHistoryGuard                    // this layout, guarded
	oldHistoryDB                       // an older gateway's history: to convert
)

// readOldHistory says what is at history.db.
func readOldHistory(path string) (oldHistory, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return oldHistoryAbsent, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	head := make([]byte, len(guardHeader))
	if _, err := io.ReadFull(f, head); err == nil && string(head) == guardHeader {
		return oldHistoryGuard, nil
	}
	return oldHistoryDB, nil
}

// guard puts the guard at history.db, replacing whatever is there in one
// rename: an older gateway finds either what was there or the whole guard
// (a torn, empty one it would take for a new database). A converted
// database is hard-linked to history.db.converted first, so that at no
// moment is history.db missing.
func guard(dir string, setAside bool) error {
	path := filepath.Join(dir, oldHistoryFile)
	tmp := path + ".tmp"
	if err := writeSynced(tmp, []byte(guardText)); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if setAside {
		if err := linkAside(path, path+setAsideSuffix); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("put the guard at %s: %w", path, err)
	}
	return syncDir(dir)
}

// linkAside makes aside a second name of the converted database at path.
// A start cut short after the link finds it done already.
func linkAside(path, aside string) error {
	err := os.Link(path, aside)
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		a, errA := os.Stat(path)
		b, errB := os.Stat(aside)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return nil
		}
		return fmt.Errorf("set the converted %s aside: %s exists already (an older copy?): move it elsewhere and start again", path, aside)
	}
	// A filesystem without hard links: a rename, and history.db is
	// missing until the guard's rename right after.
	if err := os.Rename(path, aside); err != nil {
		return fmt.Errorf("set the converted %s aside: %w", path, err)
	}
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}
