package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The journal is the write-ahead log in front of the database: each group
// of appends is one write(2) to the current segment file, so a dispatch is
// on its way to disk (and safe from kill -9) after a single system call.
// The database catches up behind it in large batches; a segment is deleted
// once everything in it is committed there.
//
// A segment is a header (magic, the database's epoch) followed by records:
//
//	length uint32 | crc32c(payload) uint32 | payload
//	payload = len(user) uint16 | user | seq uint64 | frame
//
// A crash can leave a torn record at the end of the last segment; recovery
// stops reading a segment at the first record whose length or checksum is
// wrong, so what was written whole is kept and the torn tail is dropped.

const (
	journalMagic  = "AAJ1"
	segmentPrefix = "journal-"
	segmentSuffix = ".log"
	recordHeader  = 8
	// maxUser bounds a user name in the journal (uint16 length).
	maxUser = 1<<16 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segment is one journal file being written.
type segment struct {
	id   uint64
	path string
	f    *os.File
}

func segmentPath(dir string, id uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%s%016x%s", segmentPrefix, id, segmentSuffix))
}

// createSegment starts a new segment stamped with epoch.
func createSegment(dir string, id uint64, epoch string) (*segment, error) {
	path := segmentPath(dir, id)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create journal segment: %w", err)
	}
	hdr := make([]byte, 0, len(journalMagic)+1+len(epoch))
	hdr = append(append(append(hdr, journalMagic...), byte(len(epoch))), epoch...)
	if _, err := f.Write(hdr); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("write journal segment header: %w", err)
	}
	return &segment{id: id, path: path, f: f}, nil
}

// appendRecord encodes one record onto buf.
func appendRecord(buf []byte, user string, seq uint64, frame []byte) []byte {
	n := 2 + len(user) + 8 + len(frame)
	start := len(buf)
	buf = binary.BigEndian.AppendUint32(buf, uint32(n))
	buf = append(buf, 0, 0, 0, 0) // checksum, filled in below
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(user)))
	buf = append(buf, user...)
	buf = binary.BigEndian.AppendUint64(buf, seq)
	buf = append(buf, frame...)
	binary.BigEndian.PutUint32(buf[start+4:], crc32.Checksum(buf[start+recordHeader:], castagnoli))
	return buf
}

// journalRecord is one record read back from a segment.
type journalRecord struct {
	user  string
	seq   uint64
	frame []byte
}

// readSegment returns the whole records of the segment at path and the
// epoch it was written under. A torn or corrupt tail ends the read without
// an error: it was never acknowledged as a whole.
func readSegment(path string) (epoch string, recs []journalRecord, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	if len(data) < len(journalMagic)+1 || string(data[:len(journalMagic)]) != journalMagic {
		return "", nil, nil // a segment torn before its header was whole
	}
	n := int(data[len(journalMagic)])
	data = data[len(journalMagic)+1:]
	if len(data) < n {
		return "", nil, nil
	}
	epoch, data = string(data[:n]), data[n:]
	for len(data) >= recordHeader {
		size := int(binary.BigEndian.Uint32(data))
		if size < 10 || len(data) < recordHeader+size {
			break
		}
		payload := data[recordHeader : recordHeader+size]
		if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(data[4:]) {
			break
		}
		ulen := int(binary.BigEndian.Uint16(payload))
		if 2+ulen+8 > len(payload) {
			break
		}
		recs = append(recs, journalRecord{
			user:  string(payload[2 : 2+ulen]),
			seq:   binary.BigEndian.Uint64(payload[2+ulen:]),
			frame: payload[2+ulen+8:],
		})
		data = data[recordHeader+size:]
	}
	return epoch, recs, nil
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
