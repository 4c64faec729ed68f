package store

// state.db: the epoch and the revocations, in bbolt. Both are written
// rarely (once per state directory, once per revocation), each write is a
// fsynced transaction, and bbolt's file lock keeps a second gateway out of
// the directory: a small file of our own would have to redo all three.

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

const (
	stateFile = "state.db"
	// oldHistoryFile is the bbolt history of gateways before the journal
	// was the history; the upgrade converts it and sets it aside, and the
	// guard (guard.go) takes its place.
	oldHistoryFile = "history.db"
	setAsideSuffix = ".converted"
)

var (
	bucketInfo    = []byte("info")    // "epoch" -> this history's epoch
	bucketRevoked = []byte("revoked") // user -> cutoff (8 bytes BE, unix seconds)
	keyEpoch      = []byte("epoch")
)

func openBolt(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: 2 * time.Second,
		// As etcd runs it: the freelist is rebuilt on open instead of
		// written on every commit.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: locked by another process (is another gateway running?)", path)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// openState opens state.db, converting a history.db left by an older
// gateway first, and returns the epoch (made now for a new directory).
func openState(dir string) (*bolt.DB, string, error) {
	db, err := openBolt(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, "", err
	}
	var epoch string
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketInfo, bucketRevoked} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		epoch = string(tx.Bucket(bucketInfo).Get(keyEpoch))
		return nil
	})
	if err != nil {
		db.Close()
		return nil, "", fmt.Errorf("initialise %s: %w", db.Path(), err)
	}
	old := filepath.Join(dir, oldHistoryFile)
	kind, err := readOldHistory(old)
	if err != nil {
		db.Close()
		return nil, "", err
	}
	switch kind {
	case oldHistoryDB:
		// The epoch is written last by the upgrade: without it, the
		// upgrade did not finish and is done again from the start.
		if epoch == "" {
			if epoch, err = upgrade(dir, db); err != nil {
				db.Close()
				return nil, "", fmt.Errorf("convert %s: %w", old, err)
			}
		}
		err = guard(dir, true)
	case oldHistoryAbsent:
		// Before the first segment is written.
		err = guard(dir, false)
	}
	if err != nil {
		db.Close()
		return nil, "", err
	}
	if epoch == "" {
		epoch = NewEpoch()
		err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketInfo).Put(keyEpoch, []byte(epoch)) })
		if err != nil {
			db.Close()
			return nil, "", fmt.Errorf("initialise %s: %w", db.Path(), err)
		}
	}
	return db, epoch, nil
}
