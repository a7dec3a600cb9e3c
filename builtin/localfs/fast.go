package localfs

import (
	"bytes"
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
func parseKindFast(data []byte, f format, kind resolver.Kind, path string) (conns map[string]connEntry, values map[string]string, err error, ok bool) {
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
		build.lines = syntax.lines
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
	syntax.merge(&build)
	if err := syntax.err(path); err != nil {
		return nil, nil, err, true
	}
	return s.conns, s.values, nil, true
}

// entrySink builds top-level entries one at a time into the maps of one
// kind, noticing a key it has seen before.
type entrySink struct {
	kind   resolver.Kind
	f      format
	p      *problems
	conns  map[string]connEntry
	values map[string]string
	others map[string]struct{} // keys seen that are in neither map (no value, or a problem)
}

func (s *entrySink) init(n int) {
	n = min(n, maxSizeHint)
	if s.kind == resolver.KindConnection {
		s.conns = make(map[string]connEntry, n)
	} else {
		s.values = make(map[string]string, n)
	}
}

// add builds one entry. It returns false, having done nothing, when key was
// seen before.
func (s *entrySink) add(key string, pos int, v *value) bool {
	if len(s.others) > 0 {
		if _, seen := s.others[key]; seen {
			return false
		}
	}
	e := member{key: key, line: pos, val: *v}
	var set bool
	var msg string
	switch s.kind {
	case resolver.KindConnection:
		var ce connEntry
		ce, set, pos, msg = connectionEntry(s.f, &e)
		if set {
			n := len(s.conns)
			s.conns[key] = ce
			return len(s.conns) > n
		}
		if _, seen := s.conns[key]; seen {
			return false
		}
	default:
		var str string
		if s.kind == resolver.KindVariable {
			str, set, pos, msg = variableEntry(s.f, &e)
		} else {
			str, set, pos, msg = configEntry(s.f, &e)
		}
		if set {
			n := len(s.values)
			s.values[key] = str
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
	if msg != "" {
		s.p.add(pos, msg)
	}
	return true
}
