package protocol

// The state of many notifications in one request (POST /notifications/acks):
// the Telegram bot follows every alert it sent in the last day until it is
// acknowledged, and asking GET /notification once per alert cost one
// request, and one read of the user's whole history, per open alert every
// poll. The batch reads each user's history once, whatever the number of
// that user's alerts asked about.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// PathNotificationAcks answers the acknowledgement state of a list of
// notifications.
const PathNotificationAcks = "/notifications/acks"

// MaxAckQueries bounds the list of one POST /notifications/acks: a
// thousand of a day's open alerts in one request; a longer list is 413
// (Client.NotificationAcks splits it). The body is bounded as every body
// on the socket (MaxDispatchBytes).
const MaxAckQueries = 1000

// The status of one notification in a POST /notifications/acks answer:
// what GET /notification would have answered for it alone.
const (
	AckStateOK        = "ok"          // found: Seq and the acknowledgement are set (200)
	AckStateNotFound  = CodeNotFound  // not in the user's history (404)
	AckStateForbidden = CodeForbidden // the caller may not read this user's notifications (403)
)

// AckQuery names one notification: user's notification id.
type AckQuery struct {
	User string `json:"user"`
	ID   string `json:"id"`
}

// AckQueries is the body of POST /notifications/acks.
type AckQueries struct {
	Notifications []AckQuery `json:"notifications"`
}

// AckState is one answer of POST /notifications/acks: Status (AckState*),
// and for "ok" the notification's seq and acknowledgement as
// NotificationState has them. The answer does not repeat the query: the
// i-th state answers the i-th query.
type AckState struct {
	Status   string  `json:"status"`
	Seq      uint64  `json:"seq,omitempty"`
	AckedAt  *string `json:"acked_at"`
	AckedVia *string `json:"acked_via"`
}

// Acked says whether the notification was found acknowledged.
func (s AckState) Acked() bool { return s.Status == AckStateOK && s.AckedAt != nil }

// AckStates answers POST /notifications/acks: one state per query, in the
// order asked.
type AckStates struct {
	Notifications []AckState `json:"notifications"`
}

// StateOfNotification is the AckState of a found notification.
func StateOfNotification(st NotificationState) AckState {
	return AckState{Status: AckStateOK, Seq: st.Seq, AckedAt: st.AckedAt, AckedVia: st.AckedVia}
}

// ErrTooManyAckQueries is a list longer than MaxAckQueries: 413.
var ErrTooManyAckQueries = fmt.Errorf("at most %d notifications per request", MaxAckQueries)

// ParseAckQueries decodes and checks a POST /notifications/acks body: a
// bad query is named by its place in the list; a list over
// MaxAckQueries is ErrTooManyAckQueries.
func ParseAckQueries(body []byte) ([]AckQuery, error) {
	var req AckQueries
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if req.Notifications == nil {
		return nil, errors.New(`missing "notifications" (a list of {"user","id"})`)
	}
	if len(req.Notifications) > MaxAckQueries {
		return nil, fmt.Errorf("%w, not %d", ErrTooManyAckQueries, len(req.Notifications))
	}
	for i, q := range req.Notifications {
		if err := checkUser(q.User); err != nil {
			return nil, fmt.Errorf("notifications[%d]: %w", i, err)
		}
		if err := CheckAckID(q.ID); err != nil {
			return nil, fmt.Errorf("notifications[%d]: %w", i, err)
		}
	}
	return req.Notifications, nil
}

// NotificationAcks reads the state of every query, in as few requests as
// the bounds allow (one for up to MaxAckQueries ordinary ones); the i-th
// state answers qs[i]; no query, no request. A gateway older than the endpoint answers the
// first request with 404 (IsNotFound): ask GET /notification one by one.
func (c *Client) NotificationAcks(ctx context.Context, qs []AckQuery) ([]AckState, error) {
	out := make([]AckState, 0, len(qs))
	for _, chunk := range ackChunks(qs, MaxAckQueries, MaxDispatchBytes) {
		var res AckStates
		if err := c.unix.Do(ctx, http.MethodPost, PathNotificationAcks, AckQueries{Notifications: chunk}, &res); err != nil {
			return nil, err
		}
		if len(res.Notifications) != len(chunk) {
			return nil, fmt.Errorf("gateway answered %d states for %d notifications", len(res.Notifications), len(chunk))
		}
		out = append(out, res.Notifications...)
	}
	return out, nil
}

// ackChunks splits qs into lists of at most n queries whose encoded body
// stays under maxBytes. One query always fits (a user and an id are
// bounded far below it).
func ackChunks(qs []AckQuery, n, maxBytes int) [][]AckQuery {
	const envelope = len(`{"notifications":[]}`)
	var chunks [][]AckQuery
	start, size := 0, envelope
	for i, q := range qs {
		b, _ := json.Marshal(q) // two strings: cannot fail
		if i > start && (i-start == n || size+1+len(b) > maxBytes) {
			chunks = append(chunks, qs[start:i])
			start, size = i, envelope
		}
		size += 1 + len(b) // the comma
	}
	if start < len(qs) {
		chunks = append(chunks, qs[start:])
	}
	return chunks
}
