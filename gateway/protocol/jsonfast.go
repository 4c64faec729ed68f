package protocol

import (
	"bytes"
	"math"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fastjson"
)

// Every connect decodes two small JSON documents from a stranger: the auth
// frame and the token's claims. encoding/json spent ~4.5 µs of the
// gateway's ~45 µs per connect on them (reflection, a decoder state machine
// per byte). fastjson (no reflection, pooled parsers) decodes them in the
// form the apps and the webapp send; anything else (an escape, a null,
// a duplicate, an unknown or differently cased key, a number that is not a
// plain integer, a string encoding/json would rewrite) is left to
// encoding/json, which accepts or refuses it exactly as before. So the fast
// path only ever accepts what encoding/json accepts, with the same result
// (TestFastDecodersAgreeWithEncodingJSON, FuzzFastAuthFrame,
// FuzzFastClaims), and it owns no refusal.

var fastParsers fastjson.ParserPool

// plainDocument reports whether data can be left to the fast path: no
// backslash anywhere (so no string, key included, holds an escape that
// fastjson and encoding/json might decode differently).
func plainDocument(data []byte) bool {
	return bytes.IndexByte(data, '\\') < 0
}

// plainString is a JSON string's bytes (between the quotes, with no
// escapes) as encoding/json decodes them: the same bytes, when they are
// valid UTF-8 without control characters (encoding/json refuses a control
// character and replaces invalid UTF-8).
func plainString(v *fastjson.Value) (string, bool) {
	if v.Type() != fastjson.TypeString {
		return "", false
	}
	b, _ := v.StringBytes()
	for _, c := range b {
		if c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}

// plainUint is a JSON number written as a plain decimal integer (no sign,
// fraction, exponent or leading zero) of at most maxDigits digits.
func plainUint(v *fastjson.Value, maxDigits int) (uint64, bool) {
	if v.Type() != fastjson.TypeNumber {
		return 0, false
	}
	var buf [24]byte
	s := v.MarshalTo(buf[:0]) // the number's literal as written
	if len(s) == 0 || len(s) > maxDigits || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false // overflows a uint64, which encoding/json refuses
		}
		n = n*10 + d
	}
	return n, true
}

// fastAuthFrame decodes {"type":..,"token":..,"resume":{"epoch":..,"seq":..}}
// (resume, epoch and seq optional, any key order); false leaves data to
// encoding/json.
func fastAuthFrame(data []byte) (AuthFrame, bool) {
	if !plainDocument(data) {
		return AuthFrame{}, false
	}
	p := fastParsers.Get()
	defer fastParsers.Put(p)
	v, err := p.ParseBytes(data)
	if err != nil {
		return AuthFrame{}, false
	}
	o, err := v.Object()
	if err != nil {
		return AuthFrame{}, false
	}
	var f AuthFrame
	var seen [3]bool
	ok := true
	o.Visit(func(key []byte, v *fastjson.Value) {
		if !ok {
			return
		}
		switch string(key) {
		case "type":
			ok = !seen[0]
			seen[0] = true
			if ok {
				f.Type, ok = plainString(v)
			}
		case "token":
			ok = !seen[1]
			seen[1] = true
			if ok {
				f.Token, ok = plainString(v)
			}
		case "resume":
			ok = !seen[2]
			seen[2] = true
			if ok {
				f.Resume, ok = fastResume(v)
			}
		default:
			ok = false
		}
	})
	if !ok {
		return AuthFrame{}, false
	}
	return f, true
}

func fastResume(v *fastjson.Value) (*Resume, bool) {
	o, err := v.Object()
	if err != nil {
		return nil, false
	}
	r := &Resume{}
	var seen [2]bool
	ok := true
	o.Visit(func(key []byte, v *fastjson.Value) {
		if !ok {
			return
		}
		switch string(key) {
		case "epoch":
			ok = !seen[0]
			seen[0] = true
			if ok {
				r.Epoch, ok = plainString(v)
			}
		case "seq":
			ok = !seen[1]
			seen[1] = true
			if ok {
				r.Seq, ok = plainUint(v, 20)
			}
		default:
			ok = false
		}
	})
	if !ok {
		return nil, false
	}
	return r, true
}

// fastClaims decodes the claims the webapp issues: iss, sub, exp and iat
// (each optional, any key order), the dates as plain integers; false leaves
// data to encoding/json (an aud, nbf or jti, a fraction, a null...).
func fastClaims(data []byte) (Claims, bool) {
	if !plainDocument(data) {
		return Claims{}, false
	}
	p := fastParsers.Get()
	defer fastParsers.Put(p)
	v, err := p.ParseBytes(data)
	if err != nil {
		return Claims{}, false
	}
	o, err := v.Object()
	if err != nil {
		return Claims{}, false
	}
	var c Claims
	var seen [4]bool
	ok := true
	o.Visit(func(key []byte, v *fastjson.Value) {
		if !ok {
			return
		}
		i := -1
		switch string(key) {
		case "iss":
			i = 0
		case "sub":
			i = 1
		case "exp":
			i = 2
		case "iat":
			i = 3
		}
		if i < 0 || seen[i] {
			ok = false
			return
		}
		seen[i] = true
		switch i {
		case 0:
			c.Issuer, ok = plainString(v)
		case 1:
			c.Subject, ok = plainString(v)
		case 2:
			c.ExpiresAt, ok = fastNumericDate(v)
		case 3:
			c.IssuedAt, ok = fastNumericDate(v)
		}
	})
	if !ok {
		return Claims{}, false
	}
	return c, true
}

// fastNumericDate is jwt.NumericDate's decoding of a plain integer: up to
// 15 digits, which a float64 (what NumericDate parses into) holds exactly.
func fastNumericDate(v *fastjson.Value) (*jwt.NumericDate, bool) {
	n, ok := plainUint(v, 15)
	if !ok {
		return nil, false
	}
	return jwt.NewNumericDate(time.Unix(int64(n), 0)), true
}
