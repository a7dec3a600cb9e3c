package config

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Section is a view of one section of a [File] that records which options
// were read through it, so that a section secretpath owns (such as
// [wasm]) can refuse options nobody reads: a misspelt key is an error, not
// a silently ignored setting. Get it with [File.Section]; it is safe for
// concurrent use.
type Section struct {
	f    *File
	name string

	mu   sync.Mutex
	used map[string]bool
}

// Section returns a view of section name (lower-cased, as Airflow does).
// Each call returns a new view with nothing read yet.
func (c *File) Section(name string) *Section {
	return &Section{f: c, name: strings.ToLower(name), used: map[string]bool{}}
}

// Name returns the section's name, lower-cased.
func (s *Section) Name() string { return s.name }

// Get returns option key as [File.Get] does, and marks it read.
func (s *Section) Get(key string) (string, bool) {
	key = strings.ToLower(key)
	s.mu.Lock()
	s.used[key] = true
	s.mu.Unlock()
	return s.f.Get(s.name, key)
}

// Origin says where option key is set, as [File.Origin] does.
func (s *Section) Origin(key string) string { return s.f.Origin(s.name, key) }

// Errorf returns an [ErrInvalid] error about option key, starting with
// where it was set ("airflow.cfg:12: [wasm] memory_pages ..."). The message
// must not contain the option's value.
func (s *Section) Errorf(key, format string, args ...any) error {
	key = strings.ToLower(key)
	e := &iniError{where: s.Origin(key), section: s.name, key: key, msg: fmt.Sprintf(format, args...)}
	if e.where == "" && s.f != nil {
		e.where = s.f.Path // "" without a file: the message starts at [section]
	}
	return e
}

// Keys returns the options set in the section, sorted: those written in it
// in the file (not those it inherits from [DEFAULT]) and those set by
// AIRFLOW__{SECTION}__{KEY} environment variables.
func (s *Section) Keys() []string {
	if s.f == nil || s.f.st == nil {
		return nil
	}
	seen := map[string]bool{}
	if s.f.st.file != nil {
		if sec, ok := s.f.st.file.sections[s.name]; ok {
			for _, o := range sec.order {
				seen[o.key] = true
			}
		}
	}
	prefix := envName(s.name, "")
	for up, e := range s.f.st.env {
		if strings.HasPrefix(up, prefix) && len(up) > len(prefix) {
			seen[strings.ToLower(e.name[len(prefix):])] = true
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// CheckUnused returns an [ErrInvalid] error naming every option set in the
// section (see [Section.Keys]) that was never read through s, each with
// where it is set, or nil. known, when given, lists the section's options
// for a "did you mean" hint.
func (s *Section) CheckUnused(known ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var bad []string
	for _, k := range s.Keys() {
		if s.used[k] {
			continue
		}
		msg := fmt.Sprintf("%s: [%s] %s is not an option secretpath knows", s.Origin(k), s.name, k)
		if hint := Closest(k, known); hint != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", hint)
		}
		bad = append(bad, msg)
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(bad, "; "))
}

// Closest returns the name in known nearest to k by edit distance
// (optimal string alignment, ASCII case folded), when it is at most 2
// edits away, else "": the "did you mean" of an unknown option or kwarg.
// Names longer than 64 bytes are never near anything.
func Closest(k string, known []string) string {
	if n := Nearest(k, known); len(n) > 0 {
		return n[0]
	}
	return ""
}

// Nearest returns every name in known at the smallest edit distance from
// k, in known's order, when that is at most 2 (see [Closest]), else nil.
func Nearest(k string, known []string) []string {
	var out []string
	bestD := 3
	for _, c := range known {
		switch d := editDistance(strings.ToLower(k), strings.ToLower(c)); {
		case d < bestD:
			out, bestD = []string{c}, d
		case d == bestD:
			out = append(out, c)
		}
	}
	return out
}

// editDistance is the Damerau-Levenshtein distance (optimal string
// alignment) between a and b, in bytes; names are short ASCII words.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
