package localfs

import (
	"bytes"
	"runtime"
	"sync"
	"unicode/utf8"

	"github.com/secretpath/secretpath/resolver"
)

// maxSizeHint bounds the number of entries the maps are sized for up front
// (131,072, ~23 MiB of connections): a hostile file of one key repeated
// millions of times must not reserve memory for millions.
const maxSizeHint = 1 << 17

// parseKindFast is parseKind for JSON and .env files in one pass: each
// top-level entry is built as soon as it is read, with no list of entries
// in between, and the maps are sized from a count taken while validating.
// ok is false, and nothing is returned, when the file is YAML, is not valid
// UTF-8, or defines a key twice: parseKindWhole then reads it, applying
// Python's rules for repeated keys (and reporting the invalid UTF-8). The
// problems are those parseKindWhole reports, in the same order: a fuzz test
// holds the two to the same answers.
func parseKindFast(data []byte, f format, kind resolver.Kind, path string) (conns *connTable, values map[string]string, err error, ok bool) {
	if f != formatJSON && f != formatEnv {
		return nil, nil, nil, false
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		return nil, nil, nil, false
	}
	// The line-format problems of a .env file come first, then the
	// entries' problems, as parseKindWhole adds them.
	var syntax, build problems
	s := entrySink{kind: kind, f: f, p: &build}
	switch f {
	case formatJSON:
		r, n, valid := openJSON(data, &syntax)
		if !valid {
			return nil, nil, syntax.err(path), true
		}
		build.useOffsets(data)
		s.init(n)
		if !r.members(func(key string, keyPos int, v value) bool {
			return s.add(key, keyPos, &v)
		}) {
			return nil, nil, nil, false
		}
	case formatEnv:
		s.init(bytes.Count(data, []byte{'\n'}) + 1)
		if !scanDotenv(data, &syntax, func(key string, line int, val string) bool {
			v := value{kind: vString, line: line, s: val}
			return s.add(key, line, &v)
		}) {
			return nil, nil, nil, false
		}
	}
	if !s.flush() {
		return nil, nil, nil, false
	}
	syntax.merge(&build)
	if err := syntax.err(path); err != nil {
		return nil, nil, err, true
	}
	return s.conns, s.values, nil, true
}

// entrySink builds top-level entries into the maps of one kind, noticing a
// key it has seen before. With more than one CPU, entries are built in
// chunks by GOMAXPROCS goroutines (a connection's URI parse is most of a
// file's reading) and committed to the maps in file order, so that the
// maps, the problems and their order are those of building one at a time.
type entrySink struct {
	kind   resolver.Kind
	f      format
	p      *problems
	conns  *connTable
	values map[string]string
	others map[string]struct{} // keys seen that are in neither map (no value, or a problem)

	workers int
	chunk   []entryJob // entries read, not yet built
}

// entryJob is one entry and what building it gave.
type entryJob struct {
	e   member
	cb  connBuild
	str string
	set bool
	pos int
	msg string
}

// parallelChunk is how many entries are built together; a file of fewer
// entries is built by one goroutine.
const parallelChunk = 1024

func (s *entrySink) init(n int) {
	if w := runtime.GOMAXPROCS(0); w > 1 && n >= 2*parallelChunk {
		s.workers = w
		s.chunk = make([]entryJob, 0, parallelChunk)
	}
	n = min(n, maxSizeHint)
	if s.kind == resolver.KindConnection {
		s.conns = newConnTable(n)
	} else {
		s.values = make(map[string]string, n)
	}
}

// add builds one entry (or queues it to be built). It returns false when
// key was seen before: the maps are then not to be used.
func (s *entrySink) add(key string, pos int, v *value) bool {
	if s.workers == 0 {
		j := entryJob{e: member{key: key, line: pos, val: *v}}
		s.build(&j)
		return s.commit(&j)
	}
	s.chunk = append(s.chunk, entryJob{e: member{key: key, line: pos, val: *v}})
	if len(s.chunk) == cap(s.chunk) {
		return s.flush()
	}
	return true
}

// flush builds the queued entries in parallel and commits them in order.
func (s *entrySink) flush() bool {
	jobs := s.chunk
	s.chunk = s.chunk[:0]
	if len(jobs) == 0 {
		return true
	}
	var wg sync.WaitGroup
	per := (len(jobs) + s.workers - 1) / s.workers
	for start := per; start < len(jobs); start += per {
		part := jobs[start:min(start+per, len(jobs))]
		wg.Go(func() {
			for i := range part {
				s.build(&part[i])
			}
		})
	}
	for i := range jobs[:min(per, len(jobs))] {
		s.build(&jobs[i])
	}
	wg.Wait()
	for i := range jobs {
		if !s.commit(&jobs[i]) {
			return false
		}
	}
	clear(jobs) // drop the references into the file and the maps
	return true
}

// build builds j's entry; it only reads s's settings, so that goroutines
// can build entries side by side.
func (s *entrySink) build(j *entryJob) {
	switch s.kind {
	case resolver.KindConnection:
		j.cb, j.set, j.pos, j.msg = connectionEntry(s.f, &j.e)
	case resolver.KindVariable:
		j.str, j.set, j.pos, j.msg = variableEntry(s.f, &j.e)
	default:
		j.str, j.set, j.pos, j.msg = configEntry(s.f, &j.e)
	}
}

// commit puts a built entry into the maps or records its problem. It
// returns false, having done nothing, when the key was seen before.
func (s *entrySink) commit(j *entryJob) bool {
	key := j.e.key
	if len(s.others) > 0 {
		if _, seen := s.others[key]; seen {
			return false
		}
	}
	if s.kind == resolver.KindConnection {
		if j.set {
			return s.conns.put(&j.cb, false)
		}
		if s.conns.has(key) {
			return false
		}
	} else {
		if j.set {
			n := len(s.values)
			s.values[key] = j.str
			return len(s.values) > n
		}
		if _, seen := s.values[key]; seen {
			return false
		}
	}
	if s.others == nil {
		s.others = map[string]struct{}{}
	}
	s.others[key] = struct{}{}
	if j.msg != "" {
		s.p.add(j.pos, j.msg)
	}
	return true
}
