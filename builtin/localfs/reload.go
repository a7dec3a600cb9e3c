package localfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secretpath/secretpath/resolver"
)

// source is one configured file: its parsed contents and when to look at
// the file again.
//
// Lookups read the current snapshot with one atomic load. Once the reload
// interval has passed, the next lookup stats the file (one goroutine at a
// time; the others keep reading the current snapshot meanwhile) and, when
// the file's size, modification time, mode or identity (device, inode and
// inode change time, for OS files) changed, reads and parses it again and
// swaps the snapshot in. A file that has turned bad, or disappeared, replaces the good
// snapshot with its error: lookups fail, as they do in Airflow, which reads
// the file on every lookup, rather than serve stale secrets silently.
type source struct {
	notFound error // wraps resolver.ErrNotFound, names the file
	kind     resolver.Kind
	path     string // as configured, for messages
	format   format
	fsys     fs.FS // nil: the OS filesystem
	maxSize  int64
	interval time.Duration // > 0, StatEveryLookup or NeverReload
	epoch    time.Time     // monotonic origin for next

	snap atomic.Pointer[snapshot]
	next atomic.Int64 // time.Since(epoch) at which the next stat is due
	mu   sync.Mutex   // one reload at a time
}

// snapshot is one load of a file.
type snapshot struct {
	info   fs.FileInfo // the file loaded (parse errors included); nil if it could not be read
	err    error       // why the file cannot be used, or nil
	conns  *connTable
	values map[string]string // variables or configs
}

// current returns the snapshot to answer from, reloading when due.
func (s *source) current() *snapshot {
	snap := s.snap.Load()
	if snap != nil {
		switch s.interval {
		case StatEveryLookup: // stat now
		case NeverReload:
			if snap.info != nil {
				return snap
			}
		default:
			if int64(time.Since(s.epoch)) < s.next.Load() {
				return snap
			}
		}
	}
	return s.refresh(snap)
}

// refresh stats the file and reloads it when it changed. The first load
// waits for the lock; later ones do not wait: when another goroutine is
// already reloading, the current snapshot answers.
func (s *source) refresh(old *snapshot) *snapshot {
	if old == nil {
		s.mu.Lock()
	} else if !s.mu.TryLock() {
		return old
	}
	defer s.mu.Unlock()
	if cur := s.snap.Load(); cur != old {
		return cur // reloaded while we were getting the lock
	}
	return s.refreshLocked(old)
}

// recheck stats the file now and reloads it when it changed, whatever the
// reload interval, waiting for a reload under way: the change watcher's
// check after an event in the file's directory.
func (s *source) recheck() *snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshLocked(s.snap.Load())
}

// refreshLocked stats the file and, when it is not the file old was loaded
// from, loads it and swaps the snapshot in. s.mu is held.
func (s *source) refreshLocked(old *snapshot) *snapshot {
	snap := old
	info, err := s.stat()
	switch {
	case err != nil:
		snap = &snapshot{err: s.ioError(err)}
	case old == nil || old.info == nil || !sameFile(old.info, info):
		snap = s.load()
	}
	if snap != old {
		s.snap.Store(snap)
	}
	if s.interval > 0 {
		now := time.Since(s.epoch)
		next := now + s.interval
		if next < now { // an interval of centuries: never due
			next = math.MaxInt64
		}
		s.next.Store(int64(next))
	}
	return snap
}

func (s *source) stat() (fs.FileInfo, error) {
	if s.fsys == nil {
		return os.Stat(s.path)
	}
	return fs.Stat(s.fsys, s.path)
}

func (s *source) open() (fs.File, error) {
	if s.fsys == nil {
		return os.Open(s.path)
	}
	return s.fsys.Open(s.path)
}

// sameFile reports whether b describes the same, unchanged file as a. For
// the operating system's files (os.Stat, os.DirFS) the device and inode
// must match too, so that a file replaced by rename is seen even with the
// old size and modification time, and so must the inode change time where
// the system reports one (see changeTime), so that a file rewritten in
// place with its size and modification time kept (cp -p, install -p,
// rsync --inplace -t) is seen too.
func sameFile(a, b fs.FileInfo) bool {
	if a.Size() != b.Size() || !a.ModTime().Equal(b.ModTime()) || a.Mode() != b.Mode() {
		return false
	}
	if !os.SameFile(a, a) { // only an os FileInfo is the same file as itself
		return true
	}
	if !os.SameFile(a, b) {
		return false
	}
	aSec, aNsec, aOK := changeTime(a)
	bSec, bNsec, bOK := changeTime(b)
	return aOK == bOK && aSec == bSec && aNsec == bNsec
}

func (s *source) ioError(err error) error {
	return fmt.Errorf("localfs: reading %s file: %w", s.kind, err)
}

// load reads and parses the file.
func (s *source) load() *snapshot {
	f, err := s.open()
	if err != nil {
		return &snapshot{err: s.ioError(err)}
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return &snapshot{err: s.ioError(err)}
	}
	if info.IsDir() {
		return &snapshot{err: s.ioError(&fs.PathError{Op: "read", Path: s.path, Err: errors.New("is a directory")})}
	}
	tooBig := &snapshot{info: info, err: fmt.Errorf("localfs: %s file %s is larger than the limit of %d bytes", s.kind, s.path, s.maxSize)}
	if info.Size() > s.maxSize {
		return tooBig
	}
	data, err := readAll(f, info.Size(), s.maxSize)
	if err != nil {
		return &snapshot{err: s.ioError(err)}
	}
	if int64(len(data)) > s.maxSize {
		return tooBig
	}
	snap := &snapshot{info: info}
	snap.conns, snap.values, snap.err = parseKind(data, s.format, s.kind, s.path)
	return snap
}

// readAll reads f, of size bytes when it was stat'ed, into one buffer of
// that size (io.ReadAll would grow one, leaving ~2x the file in garbage),
// reading at most limit+1 bytes (the caller refuses more than limit).
func readAll(f io.Reader, size, limit int64) ([]byte, error) {
	buf := make([]byte, 0, min(size, limit)+1)
	r := io.LimitReader(f, limit+1)
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) { // the file grew since the stat
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

// parseKind parses a file's data for one kind of secret. err is a
// *ParseError listing every problem. The caller hands data over and must
// not change it during the call; nothing returned, map keys included,
// points into it (see bytesString).
//
// JSON and .env files are read in one pass that builds each entry as it is
// read (parseKindFast); a file that defines a key twice, and every YAML
// file, is read whole first and then built (parseKindWhole), which applies
// the rules for repeated keys.
func parseKind(data []byte, f format, kind resolver.Kind, path string) (*connTable, map[string]string, error) {
	if conns, values, err, ok := parseKindFast(data, f, kind, path); ok {
		return conns, values, err
	}
	return parseKindWhole(data, f, kind, path)
}

// parseKindWhole reads every top-level entry, then builds them.
func parseKindWhole(data []byte, f format, kind resolver.Kind, path string) (*connTable, map[string]string, error) {
	var p problems
	entries := parseFile(data, f, &p)
	var conns *connTable
	var values map[string]string
	switch kind {
	case resolver.KindConnection:
		conns = buildConnections(entries, f, &p)
	case resolver.KindVariable:
		values = buildVariables(entries, f, &p)
	case resolver.KindConfig:
		values = buildConfigs(entries, f, &p)
	}
	if err := p.err(path); err != nil {
		return nil, nil, err
	}
	return conns, values, nil
}
