package protocol

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// Every dispatch decodes its body: encoding/json.Unmarshal into
// DispatchRequest spent ~7% of the gateway's CPU per dispatch at full
// speed (a validating scan, then a reflecting decode that scans again)
// and 7 of its ~13 allocations. fastDispatch takes the form dispatchers
// send: json.Valid (encoding/json's own scanner, so exactly the documents
// it accepts; it allocates nothing) and then a walk over the object's top
// level for the two keys, spelled as they are, once each: "user" a string
// with no escape in valid UTF-8 and "notification" an object, kept as its
// bytes as sent (what json.RawMessage keeps). Anything else (another key,
// a key in another case or with an escape, a duplicate, a null, a user
// with an escape or invalid UTF-8) is left to encoding/json, which
// accepts it or refuses it with its own error exactly as before. So the
// fast path accepts only what encoding/json accepts, with the same result
// (TestFastDispatchAgreesWithEncodingJSON, FuzzFastDispatch), and owns no
// refusal.
//
// fastjson, the auth frame's fast decoder, does not fit here: it gives no
// value's bytes as sent, and the notification must reach the apps and the
// store byte for byte as dispatched.
func fastDispatch(body []byte) (DispatchRequest, bool) {
	if !json.Valid(body) {
		return DispatchRequest{}, false
	}
	// body is one valid JSON document: every index below is in range and
	// every token is where the grammar puts it.
	i := skipSpace(body, 0)
	if body[i] != '{' {
		return DispatchRequest{}, false
	}
	var user, note []byte
	ok := true
	members(body[i:], func(key, val []byte) bool {
		switch string(key) {
		case "user":
			if user != nil || val[0] != '"' {
				ok = false
				return false
			}
			user = val[1 : len(val)-1]
			if bytes.IndexByte(user, '\\') >= 0 || !utf8.Valid(user) {
				ok = false // encoding/json rewrites these
				return false
			}
		case "notification":
			if note != nil || val[0] != '{' {
				ok = false
				return false
			}
			note = val
		default:
			ok = false
			return false
		}
		return true
	})
	if !ok {
		return DispatchRequest{}, false
	}
	req := DispatchRequest{User: string(user)}
	if note != nil {
		// A copy, as json.RawMessage's: the body's buffer is the caller's.
		req.Notification = append(json.RawMessage(nil), note...)
	}
	return req, true
}
