package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The journal is the history: append-only segment files. Each group of
// appends is one write(2) to the current segment, so a dispatch is on its
// way to disk (and safe from kill -9) after a single system call, and a
// record is read back by pread at the offset the index (index.go) keeps.
// A segment grows to segmentMax and is then sealed; sealed segments are
// deleted or compacted in the background (reclaim.go).
//
// A segment is a header (magic, the history's epoch) followed by records:
//
//	length uint32 | crc32c(payload) uint32 | payload
//	payload = kind byte | len(user) uint16 | user | seq uint64 | frame
//
// kind says whether the record is a new append or a copy of an older one,
// made by compaction or by the upgrade from bbolt (same seq, same frame):
// a copy never replaces what the log already holds for its seq.
//
// A crash can leave a torn record at the end of the last segment; reading
// stops at the first record whose length or checksum is wrong, so what was
// written whole is kept and the torn tail is dropped.
//
// AAJ1 segments (before the history was log-structured: no kind byte) are
// read once, by the upgrade (upgrade.go).

const (
	journalMagic   = "AAJ2"
	journalMagicV1 = "AAJ1"
	segmentPrefix  = "journal-"
	segmentSuffix  = ".log"
	recordHeader   = 8
	// maxUser bounds a user name in the journal (uint16 length).
	maxUser = 1<<16 - 1
)

const (
	kindAppend byte = 0
	kindCopy   byte = 1
)

// segmentMax is the size at which a segment is sealed and a new one begun
// (a variable so a test can make it small). Small enough that compaction
// moves little at a time, large enough that a busy gateway opens a new
// file only every few seconds; offsets in the index are 32 bits.
var segmentMax int64 = 16 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func segmentPath(dir string, id uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%s%016x%s", segmentPrefix, id, segmentSuffix))
}

// segmentHeader is the bytes a segment of epoch starts with.
func segmentHeader(epoch string) []byte {
	hdr := make([]byte, 0, len(journalMagic)+1+len(epoch))
	return append(append(append(hdr, journalMagic...), byte(len(epoch))), epoch...)
}

// createSegmentFile starts a new segment stamped with epoch, open for
// appending and for reading back.
func createSegmentFile(path, epoch string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("create journal segment: %w", err)
	}
	hdr := segmentHeader(epoch)
	if _, err := f.Write(hdr); err != nil {
		f.Close()
		os.Remove(path)
		return nil, 0, fmt.Errorf("write journal segment header: %w", err)
	}
	return f, int64(len(hdr)), nil
}

// recordSize is the bytes a record of user with a frame of n bytes takes.
func recordSize(user string, n int) int { return recordHeader + 1 + 2 + len(user) + 8 + n }

// appendRecord encodes one record onto buf.
func appendRecord(buf []byte, kind byte, user string, seq uint64, frame []byte) []byte {
	n := 1 + 2 + len(user) + 8 + len(frame)
	start := len(buf)
	buf = binary.BigEndian.AppendUint32(buf, uint32(n))
	buf = append(buf, 0, 0, 0, 0) // checksum, filled in below
	buf = append(buf, kind)
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(user)))
	buf = append(buf, user...)
	buf = binary.BigEndian.AppendUint64(buf, seq)
	buf = append(buf, frame...)
	binary.BigEndian.PutUint32(buf[start+4:], crc32.Checksum(buf[start+recordHeader:], castagnoli))
	return buf
}

// rawRecord is one record read back; user and frame point into the
// reader's buffer.
type rawRecord struct {
	kind  byte
	user  []byte
	seq   uint64
	frame []byte
}

var errBadRecord = errors.New("torn or corrupt record")

// parseRecord decodes the whole record at the start of b (header and
// payload) in the given format version; it returns the record's size.
func parseRecord(b []byte, version int) (rawRecord, int, error) {
	if len(b) < recordHeader {
		return rawRecord{}, 0, errBadRecord
	}
	size := int(binary.BigEndian.Uint32(b))
	if size < 10 || size > len(b)-recordHeader {
		return rawRecord{}, 0, errBadRecord
	}
	payload := b[recordHeader : recordHeader+size]
	if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(b[4:]) {
		return rawRecord{}, 0, errBadRecord
	}
	return decodePayload(payload, version, recordHeader+size)
}

func decodePayload(p []byte, version int, size int) (rawRecord, int, error) {
	var r rawRecord
	if version >= 2 {
		if len(p) < 1 {
			return r, 0, errBadRecord
		}
		r.kind, p = p[0], p[1:]
	}
	if len(p) < 2 {
		return r, 0, errBadRecord
	}
	ulen := int(binary.BigEndian.Uint16(p))
	if 2+ulen+8 > len(p) {
		return r, 0, errBadRecord
	}
	r.user = p[2 : 2+ulen]
	r.seq = binary.BigEndian.Uint64(p[2+ulen:])
	r.frame = p[2+ulen+8:]
	return r, size, nil
}

// scanSegment reads the segment at path from its start: it tells accept
// the format version (0: a header torn before it was whole) and epoch, and
// if accepted calls fn with each whole record and its offset, stopping at
// the first torn or corrupt one (never written whole, so never
// acknowledged). It returns the file's size. fn's record is valid only
// during the call.
func scanSegment(path string, accept func(version int, epoch string) bool, fn func(off int64, r rawRecord)) (size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size = st.Size()
	br := bufio.NewReaderSize(f, 1<<20)
	hdr := make([]byte, len(journalMagic)+1)
	if _, err := io.ReadFull(br, hdr); err != nil {
		accept(0, "")
		return size, nil
	}
	version := 0
	switch string(hdr[:len(journalMagic)]) {
	case journalMagic:
		version = 2
	case journalMagicV1:
		version = 1
	}
	e := make([]byte, int(hdr[len(journalMagic)]))
	if _, err := io.ReadFull(br, e); err != nil {
		version = 0
	}
	if !accept(version, string(e)) || version == 0 {
		return size, nil
	}
	off := int64(len(hdr) + len(e))
	var head [recordHeader]byte
	var payload []byte
	for {
		if _, err := io.ReadFull(br, head[:]); err != nil {
			break
		}
		n := int(binary.BigEndian.Uint32(head[:]))
		if n < 10 || int64(n) > size-off-recordHeader {
			break
		}
		if cap(payload) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			break
		}
		if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(head[4:]) {
			break
		}
		r, _, err := decodePayload(payload, version, recordHeader+n)
		if err != nil {
			break
		}
		fn(off, r)
		off += int64(recordHeader + n)
	}
	return size, nil
}

// listSegments returns the journal segments in dir, oldest first.
func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ids []uint64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, segmentPrefix) || !strings.HasSuffix(name, segmentSuffix) {
			continue
		}
		id, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, segmentPrefix), segmentSuffix), 16, 64)
		if err != nil {
			continue
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// syncDir makes a segment's creation or removal durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
