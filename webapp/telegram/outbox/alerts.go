package outbox

// The alert messages sent with an Acknowledge button, kept until their
// alert is acknowledged (and the messages edited to say so) or is a day
// old: the bot edits them when the alert is acknowledged on any channel,
// across its own restarts.

import (
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketAlerts = []byte("alerts")

// AlertMessage is one Telegram message of an alert (a repeat is another).
type AlertMessage struct {
	ChatID    int64  `json:"chat_id"`
	MessageID int    `json:"message_id"`
	Text      string `json:"text"` // as sent: the text, or the photo's caption
	ParseMode string `json:"parse_mode,omitempty"`
	Photo     bool   `json:"photo,omitempty"`
}

// Alert is an alert the bot follows: its user, id and messages.
type Alert struct {
	User     string         `json:"user"`
	ID       string         `json:"id"`
	First    time.Time      `json:"first"`
	Messages []AlertMessage `json:"messages"`
}

func alertKey(user, id string) []byte { return []byte(user + "\x00" + id) }

// AddAlertMessage records a message sent for user's alert id.
func (o *Outbox) AddAlertMessage(user, id string, m AlertMessage, now time.Time) error {
	return o.db.Batch(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketAlerts)
		if err != nil {
			return err
		}
		a := Alert{User: user, ID: id, First: now}
		if v := b.Get(alertKey(user, id)); v != nil {
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
		}
		a.Messages = append(a.Messages, m)
		v, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return b.Put(alertKey(user, id), v)
	})
}

// Alerts lists the alerts followed.
func (o *Outbox) Alerts() ([]Alert, error) {
	var out []Alert
	err := o.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAlerts)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var a Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

// Alert is the followed alert user's id, if any.
func (o *Outbox) Alert(user, id string) (Alert, bool, error) {
	var a Alert
	found := false
	err := o.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAlerts)
		if b == nil {
			return nil
		}
		v := b.Get(alertKey(user, id))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &a)
	})
	return a, found, err
}

// AlertDone stops following user's alert id.
func (o *Outbox) AlertDone(user, id string) error {
	return o.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAlerts)
		if b == nil {
			return nil
		}
		return b.Delete(alertKey(user, id))
	})
}
