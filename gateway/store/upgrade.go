package store

// The upgrade from the history of older gateways: history.db (bbolt, the
// records trimmed to the limit) and the AAJ1 journal in front of it (the
// newest records, not yet applied). Both are written once into new
// segments; the epoch and the revocations go to state.db, the epoch last,
// which marks the upgrade done. A crash before that does it all again.
// Then history.db is set aside, the guard takes its place (guard.go), and
// the old segments are removed (by rebuild, which drops every segment not
// of the current format).

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

var bucketOldHistory = []byte("history") // user 0x00 seq(8 bytes BE) -> frame

// upgrade converts history.db and the old journal in dir and returns their
// epoch, now stored in state (db).
func upgrade(dir string, state *bolt.DB) (string, error) {
	old, err := openBolt(filepath.Join(dir, oldHistoryFile))
	if err != nil {
		return "", err
	}
	defer old.Close()
	var epoch string
	revoked := map[string][]byte{}
	err = old.View(func(tx *bolt.Tx) error {
		if info := tx.Bucket(bucketInfo); info != nil {
			epoch = string(info.Get(keyEpoch))
		}
		if b := tx.Bucket(bucketRevoked); b != nil {
			return b.ForEach(func(k, v []byte) error {
				revoked[string(k)] = append([]byte(nil), v...)
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if epoch == "" {
		epoch = NewEpoch() // a database never initialised holds no history
	}
	ids, err := listSegments(dir)
	if err != nil {
		return "", err
	}
	// Segments of the new format here come from an upgrade that did not
	// finish: it starts again.
	var oldIDs []uint64
	for _, id := range ids {
		version := 0
		if _, err := scanSegment(segmentPath(dir, id), func(v int, _ string) bool { version = v; return false }, nil); err != nil {
			return "", err
		}
		if version == 2 {
			if err := os.Remove(segmentPath(dir, id)); err != nil {
				return "", err
			}
		} else {
			oldIDs = append(oldIDs, id)
		}
	}
	w := &convertWriter{dir: dir, epoch: epoch}
	if len(ids) > 0 {
		w.nextID = ids[len(ids)-1] + 1
	}
	// The old journal's records as appends, in their order, then the
	// database's as copies: a copy fills only a seq the journal did not
	// have (a record applied just before a crash is in both).
	for _, id := range oldIDs {
		_, err := scanSegment(segmentPath(dir, id), func(v int, e string) bool { return v == 1 && e == epoch },
			func(_ int64, r rawRecord) { w.add(kindAppend, r.user, r.seq, r.frame) })
		if err != nil {
			return "", err
		}
	}
	err = old.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOldHistory)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) < 9 {
				return nil
			}
			w.add(kindCopy, k[:len(k)-9], binary.BigEndian.Uint64(k[len(k)-8:]), v)
			return w.err
		})
	})
	if err = errors.Join(err, w.finish()); err != nil {
		return "", err
	}
	err = state.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRevoked)
		for u, v := range revoked {
			if err := b.Put([]byte(u), v); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketInfo).Put(keyEpoch, []byte(epoch))
	})
	return epoch, err
}

// convertWriter writes records into new segments, fsynced at finish.
type convertWriter struct {
	dir, epoch string
	nextID     uint64
	f          *os.File
	size       int64
	buf        []byte
	done       []*os.File
	err        error
}

func (w *convertWriter) add(kind byte, user []byte, seq uint64, frame []byte) {
	if w.err != nil {
		return
	}
	if w.f == nil || w.size+int64(len(w.buf)) >= segmentMax {
		if w.err = w.flush(); w.err != nil {
			return
		}
		if w.f != nil {
			w.done = append(w.done, w.f)
		}
		path := segmentPath(w.dir, w.nextID)
		w.nextID++
		if w.f, w.size, w.err = createSegmentFile(path, w.epoch); w.err != nil {
			w.f = nil
			return
		}
	}
	w.buf = appendRecord(w.buf, kind, string(user), seq, frame)
	if len(w.buf) >= 1<<20 {
		w.err = w.flush()
	}
}

func (w *convertWriter) flush() error {
	if w.f == nil || len(w.buf) == 0 {
		return nil
	}
	_, err := w.f.Write(w.buf)
	w.size += int64(len(w.buf))
	w.buf = w.buf[:0]
	return err
}

func (w *convertWriter) finish() error {
	err := w.err
	if err == nil {
		err = w.flush()
	}
	if w.f != nil {
		w.done = append(w.done, w.f)
	}
	for _, f := range w.done {
		if err == nil {
			err = f.Sync()
		}
		f.Close()
	}
	if err == nil {
		err = syncDir(w.dir)
	}
	return err
}
