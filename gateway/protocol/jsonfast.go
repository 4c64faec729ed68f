package protocol

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"sync"
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

// fastDecoder is a pooled parser with a scratch buffer for a number's
// literal.
type fastDecoder struct {
	p   fastjson.Parser
	num []byte
}

var fastDecoders = sync.Pool{New: func() any { return new(fastDecoder) }}

// plainDocument reports whether data can be left to the fast path: no
// backslash anywhere (so no string, key included, holds an escape that
// fastjson and encoding/json might decode differently).
func plainDocument(data []byte) bool {
	return bytes.IndexByte(data, '\\') < 0
}

// plainString is a JSON string's bytes (between the quotes, with no
// escapes) as encoding/json decodes them: the same bytes, when they are
// valid UTF-8 without control characters (encoding/json refuses a control
// character and replaces invalid UTF-8). known is returned, not a copy,
// when the string is known (the auth frame's type, the usual issuer).
func plainString(v *fastjson.Value, known string) (string, bool) {
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
	if string(b) == known {
		return known, true
	}
	return string(b), true
}

// plainUint is a JSON number written as a plain decimal integer (no sign,
// fraction, exponent or leading zero) of at most maxDigits digits.
func (d *fastDecoder) plainUint(v *fastjson.Value, maxDigits int) (uint64, bool) {
	if v.Type() != fastjson.TypeNumber {
		return 0, false
	}
	d.num = v.MarshalTo(d.num[:0]) // the number's literal as written
	s := d.num
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
	d := fastDecoders.Get().(*fastDecoder)
	defer fastDecoders.Put(d)
	v, err := d.p.ParseBytes(data)
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
				f.Type, ok = plainString(v, TypeAuth)
			}
		case "token":
			ok = !seen[1]
			seen[1] = true
			if ok {
				f.Token, ok = plainString(v, "")
			}
		case "resume":
			ok = !seen[2]
			seen[2] = true
			if ok {
				f.Resume, ok = d.fastResume(v)
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

func (d *fastDecoder) fastResume(v *fastjson.Value) (*Resume, bool) {
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
				r.Epoch, ok = plainString(v, "")
			}
		case "seq":
			ok = !seen[1]
			seen[1] = true
			if ok {
				r.Seq, ok = d.plainUint(v, 20)
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
	d := fastDecoders.Get().(*fastDecoder)
	defer fastDecoders.Put(d)
	v, err := d.p.ParseBytes(data)
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
			c.Issuer, ok = plainString(v, DefaultIssuer)
		case 1:
			c.Subject, ok = plainString(v, "")
		case 2:
			c.ExpiresAt, ok = d.numericDate(v)
		case 3:
			c.IssuedAt, ok = d.numericDate(v)
		}
	})
	if !ok {
		return Claims{}, false
	}
	return c, true
}

// numericDate is jwt.NumericDate's decoding of a plain integer: up to 15
// digits, which a float64 (what NumericDate parses into) holds exactly.
func (d *fastDecoder) numericDate(v *fastjson.Value) (*jwt.NumericDate, bool) {
	n, ok := d.plainUint(v, 15)
	if !ok {
		return nil, false
	}
	return jwt.NewNumericDate(time.Unix(int64(n), 0)), true
}

// AuthOKFrame is the auth_ok frame for username (with replay when the
// client resumed), byte for byte as encoding/json marshals AuthOK, without
// its reflection when the name needs no escaping: valid UTF-8 without a
// control character, '"', '\\', the characters encoding/json escapes for
// HTML ('<', '>', '&') or U+2028/U+2029. Any other name is marshalled.
func AuthOKFrame(username string, replay *int) []byte {
	if !plainForJSON(username) {
		b, err := json.Marshal(AuthOK{Type: TypeAuthOK, Username: username, Replay: replay})
		if err != nil {
			panic(err) // strings and an int always marshal
		}
		return b
	}
	b := make([]byte, 0, len(`{"type":"auth_ok","username":"","replay":}`)+len(username)+20)
	b = append(b, `{"type":"auth_ok","username":"`...)
	b = append(b, username...)
	b = append(b, '"')
	if replay != nil {
		b = append(b, `,"replay":`...)
		b = strconv.AppendInt(b, int64(*replay), 10)
	}
	return append(b, '}')
}

// plainForJSON reports whether encoding/json writes s between quotes as
// it is.
func plainForJSON(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return ascii || utf8.ValidString(s) && !strings.Contains(s, "\u2028") && !strings.Contains(s, "\u2029")
}
