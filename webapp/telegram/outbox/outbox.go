// Package outbox is notify-bot's queue on disk: a message is answered 200
// on the socket only once it is here, and leaves only once the Bot API has
// answered for it. It is a bbolt file (the store the gateway uses too: one
// file, ACID, crash-safe, pure Go); each Put is a transaction that is
// fsynced before it returns, and concurrent Puts share one commit through
// bbolt's Batch, so a burst costs one fsync per group, not per message.
//
// Keys are a global sequence (big-endian), so reading the queue in key order
// gives every chat's messages in the order they were accepted. The same
// file keeps the getUpdates offset and the messages Telegram refused for
// good (kept, never silently dropped).
package outbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var (
	bucketQueue  = []byte("queue")
	bucketFailed = []byte("failed")
	bucketState  = []byte("state")
	keyOffset    = []byte("update_offset")
)

// Message is one queued message for one chat.
type Message struct {
	Seq       uint64    `json:"-"`
	ChatID    int64     `json:"chat_id"`
	User      string    `json:"user"`
	Text      string    `json:"text,omitempty"` // the text, or a photo's caption
	ParseMode string    `json:"parse_mode,omitempty"`
	Photo     []byte    `json:"photo,omitempty"` // a photo's bytes (the file may be gone by the time it is sent)
	PhotoName string    `json:"photo_name,omitempty"`
	Queued    time.Time `json:"queued"`
	// AlertID is the alert's notification id when the message is one
	// (botclient's id): it is sent with the Acknowledge button and
	// followed (alerts.go).
	AlertID string `json:"alert_id,omitempty"`
	// Error is why Telegram refused it, for a message in the failed bucket.
	Error string `json:"error,omitempty"`
}

// Outbox is one bbolt file.
type Outbox struct {
	db *bolt.DB
}

// Open opens (creating) the outbox file at path.
func Open(path string) (*Outbox, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open outbox %s: another notify-bot holds it", path)
		}
		return nil, fmt.Errorf("open outbox %s: %w", path, err)
	}
	// Batch gathers the Puts that arrive within a few milliseconds into
	// one commit: a burst of alerts shares its fsyncs.
	db.MaxBatchDelay = 2 * time.Millisecond
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketQueue, bucketFailed, bucketState} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open outbox %s: %w", path, err)
	}
	return &Outbox{db: db}, nil
}

// Close closes the file.
func (o *Outbox) Close() error { return o.db.Close() }

// Put queues m durably and sets m.Seq.
func (o *Outbox) Put(m *Message) error {
	val, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var seq uint64
	err = o.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketQueue)
		s, err := b.NextSequence()
		if err != nil {
			return err
		}
		seq = s
		return b.Put(key(s), val)
	})
	if err != nil {
		return fmt.Errorf("queue message: %w", err)
	}
	m.Seq = seq
	return nil
}

// Get reads one queued message.
func (o *Outbox) Get(seq uint64) (Message, error) {
	var m Message
	err := o.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketQueue).Get(key(seq))
		if v == nil {
			return fmt.Errorf("message %d is not queued", seq)
		}
		return json.Unmarshal(v, &m)
	})
	m.Seq = seq
	return m, err
}

// Entry is a queued message's place: its sequence and chat.
type Entry struct {
	Seq    uint64
	ChatID int64
}

// Pending lists every queued message in the order it was accepted.
func (o *Outbox) Pending() ([]Entry, error) {
	var out []Entry
	err := o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketQueue).ForEach(func(k, v []byte) error {
			var head struct {
				ChatID int64 `json:"chat_id"`
			}
			if err := json.Unmarshal(v, &head); err != nil {
				return fmt.Errorf("queued message %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, Entry{Seq: binary.BigEndian.Uint64(k), ChatID: head.ChatID})
			return nil
		})
	})
	return out, err
}

// Len is the number of queued messages.
func (o *Outbox) Len() int {
	n := 0
	_ = o.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucketQueue).Stats().KeyN; return nil })
	return n
}

// Done removes a message the Bot API took.
func (o *Outbox) Done(seq uint64) error {
	return o.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucketQueue).Delete(key(seq)) })
}

// Fail moves a message Telegram refused for good into the failed bucket,
// with the reason.
func (o *Outbox) Fail(seq uint64, reason string) error {
	return o.db.Batch(func(tx *bolt.Tx) error {
		q := tx.Bucket(bucketQueue)
		v := q.Get(key(seq))
		if v == nil {
			return nil
		}
		var m Message
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		m.Error = reason
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketFailed).Put(key(seq), b); err != nil {
			return err
		}
		return q.Delete(key(seq))
	})
}

// Failed lists the messages Telegram refused for good.
func (o *Outbox) Failed() ([]Message, error) {
	var out []Message
	err := o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFailed).ForEach(func(k, v []byte) error {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			m.Seq = binary.BigEndian.Uint64(k)
			out = append(out, m)
			return nil
		})
	})
	return out, err
}

// Offset is the last update id handled (0: none yet).
func (o *Outbox) Offset() (int64, error) {
	var off int64
	err := o.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketState).Get(keyOffset); len(v) == 8 {
			off = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return off, err
}

// SetOffset records the last update id taken, before it is handled, so a
// restart does not handle it twice.
func (o *Outbox) SetOffset(id int64) error {
	return o.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketState).Put(keyOffset, key(uint64(id)))
	})
}

func key(n uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, n)
	return k
}
