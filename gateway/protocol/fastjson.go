package protocol

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Every connect decodes two small JSON objects: the auth frame and the
// token's claims. Both nearly always have the same plain shape, which a
// short scan reads at a fraction of encoding/json's cost. Anything else
// (escapes, non-ASCII, other keys, other value kinds, a malformed object)
// goes to encoding/json, so the results and errors are encoding/json's in
// every case; FuzzFastJSONMatchesEncodingJSON holds the two to that.

// scanFlat reads a JSON object whose keys are plain strings and whose
// values are plain strings or non-negative integers of at most 15 digits
// (exact as float64, as golang-jwt reads them). Plain: printable ASCII,
// no quote, no backslash. It calls member for each key and value in
// order (str tells a string from a number) and reports false, having
// called member for any prefix, when data is anything else or member
// refuses.
func scanFlat(data []byte, member func(key, val []byte, str bool) bool) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		key, j, ok := plainString(data, i)
		if !ok {
			return false
		}
		i = skipSpace(data, j)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		var val []byte
		str := i < len(data) && data[i] == '"'
		if str {
			val, j, ok = plainString(data, i)
		} else {
			val, j, ok = plainInt(data, i)
		}
		if !ok || !member(key, val, str) {
			return false
		}
		i = skipSpace(data, j)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// plainString reads a string at data[i] without escapes or bytes outside
// printable ASCII: its contents and the index after its closing quote.
func plainString(data []byte, i int) ([]byte, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return data[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c > 0x7e:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// plainInt reads a non-negative integer of 1 to 15 digits, no leading zero.
func plainInt(data []byte, i int) ([]byte, int, bool) {
	j := i
	for j < len(data) && data[j] >= '0' && data[j] <= '9' {
		j++
	}
	n := j - i
	if n == 0 || n > 15 || (n > 1 && data[i] == '0') {
		return nil, 0, false
	}
	if j < len(data) && (data[j] == '.' || data[j] == 'e' || data[j] == 'E') {
		return nil, 0, false
	}
	return data[i:j], j, true
}

// parseAuthFrameFast decodes {"type":...,"token":...} in the plain shape;
// false means "ask encoding/json".
func parseAuthFrameFast(data []byte) (AuthFrame, bool) {
	var f AuthFrame
	ok := scanFlat(data, func(key, val []byte, str bool) bool {
		if !str {
			return false // encoding/json's type error
		}
		switch string(key) {
		case "type":
			f.Type = string(val)
		case "token":
			f.Token = string(val)
		default:
			return false // matching is case-insensitive there; let it decide
		}
		return true
	})
	return f, ok
}

// claimsJSON is Claims without its UnmarshalJSON, for encoding/json.
type claimsJSON Claims

// UnmarshalJSON decodes the claims as encoding/json does, faster for the
// plain shape golang-jwt issues (iss, sub, jti strings; iat, exp, nbf
// whole seconds).
//
// encoding/json hands an Unmarshaler only valid JSON, and decodes into the
// existing value, so the fast scan writes into c directly: if it stops
// early, encoding/json decodes the same members again.
func (c *Claims) UnmarshalJSON(data []byte) error {
	r := &c.RegisteredClaims
	ok := scanFlat(data, func(key, val []byte, str bool) bool {
		switch string(key) {
		case "iss", "sub", "jti":
			if !str {
				return false
			}
			switch string(key) {
			case "iss":
				r.Issuer = string(val)
			case "sub":
				r.Subject = string(val)
			default:
				r.ID = string(val)
			}
		case "iat", "exp", "nbf":
			if str {
				return false
			}
			n, err := strconv.ParseInt(string(val), 10, 64)
			if err != nil {
				return false
			}
			d := jwt.NewNumericDate(time.Unix(n, 0))
			switch string(key) {
			case "iat":
				r.IssuedAt = d
			case "exp":
				r.ExpiresAt = d
			default:
				r.NotBefore = d
			}
		default:
			return false
		}
		return true
	})
	if ok {
		return nil
	}
	return json.Unmarshal(data, (*claimsJSON)(c))
}
