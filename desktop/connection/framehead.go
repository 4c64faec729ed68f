package connection

import (
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// frameHead is what the app can learn of a frame it cannot show (too large
// or not valid JSON): its type and its place in the history, so the link can
// move past it instead of asking for it again and again.
type frameHead struct {
	Type  string
	Seq   uint64 // 0: not found
	Epoch string
}

// valueDone marks a top-level member whose value is of no (more) interest.
const valueDone = "\x00"

// maxHeadValue bounds each remembered key or value; longer ones are not ours.
const maxHeadValue = 128

// headScanner reads the top level of a JSON object as it streams past, in
// constant memory, and remembers the "type", "seq" and "epoch" members
// wherever they are (the gateway writes them first, but a frame rebuilt from
// an unusual dispatch has them in key order, after the message). It is an
// io.Writer so a frame of any size can be copied through it. It never fails:
// on input that is not an object it simply finds nothing.
type headScanner struct {
	started, bad bool
	depth        int
	inStr, esc   bool
	isKey        bool   // the string being read is a top-level key
	field        string // the top-level key whose value is being read; "" before a key
	num          bool   // reading the digits of a top-level number
	buf          []byte
	over         bool // buf outgrew maxHeadValue, or held an escape
	typ, epoch   string
	seq          string
}

func (s *headScanner) Write(p []byte) (int, error) {
	for _, c := range p {
		s.step(c)
	}
	return len(p), nil
}

func (s *headScanner) step(c byte) {
	if s.bad {
		return
	}
	if !s.started {
		switch c {
		case ' ', '\t', '\n', '\r':
			return
		case '{':
			s.started, s.depth, s.field = true, 1, ""
		default:
			s.bad = true
		}
		return
	}
	if s.inStr {
		switch {
		case s.esc:
			s.esc = false
		case c == '\\':
			s.esc, s.over = true, true // an escaped key or value is not one of ours
		case c == '"':
			s.inStr = false
			s.endString()
		default:
			s.keep(c)
		}
		return
	}
	if s.num {
		if c >= '0' && c <= '9' {
			s.keep(c)
			return
		}
		s.num = false
		if !s.over && c != '.' && c != 'e' && c != 'E' {
			s.seq = string(s.buf)
		} else {
			s.seq = "" // not a plain unsigned integer
		}
		s.field = valueDone
	}
	switch c {
	case '"':
		s.inStr, s.isKey = true, s.depth == 1 && s.field == ""
		s.buf, s.over = s.buf[:0], false
	case '{', '[':
		s.depth++
	case '}', ']':
		s.depth--
	case ',':
		if s.depth == 1 {
			s.field = ""
		}
	case ':', ' ', '\t', '\n', '\r':
	default:
		if s.depth == 1 && s.field == "seq" {
			if c >= '0' && c <= '9' {
				s.num = true
				s.buf, s.over = s.buf[:0], false
				s.keep(c)
			} else {
				s.seq, s.field = "", valueDone // -1, true, null: not a seq
			}
		}
	}
}

// keep remembers a byte of a top-level key or of a value we want.
func (s *headScanner) keep(c byte) {
	if !s.isKey && (s.depth != 1 || (s.field != "type" && s.field != "epoch" && s.field != "seq")) {
		return
	}
	if len(s.buf) >= maxHeadValue {
		s.over = true
		return
	}
	s.buf = append(s.buf, c)
}

func (s *headScanner) endString() {
	if s.isKey {
		s.isKey = false
		if s.over {
			s.field = valueDone // some key of no interest
		} else {
			s.field = string(s.buf)
		}
		return
	}
	if s.depth != 1 || s.over {
		return
	}
	switch s.field {
	case "type":
		s.typ = string(s.buf)
	case "epoch":
		s.epoch = string(s.buf)
	}
}

func (s *headScanner) head() frameHead {
	h := frameHead{Type: s.typ, Epoch: s.epoch}
	if s.num && s.depth == 1 && s.field == "seq" && !s.over { // the frame ended in the digits
		s.seq = string(s.buf)
	}
	h.Seq, _ = strconv.ParseUint(s.seq, 10, 64)
	return h
}

// scanHead finds the head of a whole frame that is in memory.
func scanHead(data []byte) frameHead {
	var s headScanner
	s.Write(data)
	return s.head()
}

// frame is one frame read from the link, bounded: a frame over the limit
// is not kept, only its head and size.
type frame struct {
	data   []byte    // the whole frame, when it fits
	tooBig bool      // over protocol.MaxFrameBytes
	size   int64     // the frame's size in bytes
	head   frameHead // of a frame over the limit
}

// readFrame reads one frame of r keeping at most limit bytes. A larger frame
// is read to its end through the head scanner and dropped, so the link stays
// up, memory stays bounded, and the caller still learns the frame's seq.
//
// (gorilla's own read limit cannot be used for this: it fails the whole
// connection before the frame's body is read, so the app would never learn
// which record to move past, and the gateway would replay it at every
// reconnect.)
func readFrame(r io.Reader, limit int) (frame, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return frame{}, err
	}
	if len(data) <= limit {
		return frame{data: data, size: int64(len(data))}, nil
	}
	var s headScanner
	s.Write(data)
	n, err := io.Copy(&s, r)
	if err != nil {
		return frame{}, err
	}
	return frame{tooBig: true, size: int64(len(data)) + n, head: s.head()}, nil
}

// errNotJSON: a frame that is not a JSON object.
var errNotJSON = errors.New("not a JSON object")

// frameType reads a small frame's type; a frame that is not valid JSON
// gets errNotJSON.
func frameType(data []byte) (string, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return "", errNotJSON
	}
	return head.Type, nil
}
