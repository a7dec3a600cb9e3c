package localfs

import (
	"bytes"
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

// File is a connections or variables file opened for an import that holds
// only a batch of parsed entries at a time: the file's bytes, and a set of
// its keys, stay in memory; the connections are built n at a time while the
// caller writes them (the metastore's import, in one transaction).
//
// OpenConnections and OpenVariables read the file and check its syntax (a
// syntax problem is reported then, as ReadConnections reports it); Each then
// builds the entries. A problem with an entry (a connection that does not
// parse, a .env key defined twice) is only known once every entry is built:
// Each reports every problem after the last batch, and the caller must then
// discard what it did with the batches.
//
// A YAML file, and a JSON or .env file that defines a key twice, are read
// whole (as ReadConnections reads them) and then handed over in batches:
// yaml.v3 builds the whole document, and a repeated key's last definition
// wins, which is only known at the end.
type File struct {
	path  string
	kind  resolver.Kind
	f     format
	data  []byte // BOM removed
	total int

	// whole is the file read whole (YAML, repeated keys), else nil.
	whole       *connTable
	wholeValues map[string]string
}

// OpenConnections opens a connections file for Each.
func OpenConnections(path string) (*File, error) { return openFile(path, resolver.KindConnection) }

// OpenVariables opens a variables file for EachVariable.
func OpenVariables(path string) (*File, error) { return openFile(path, resolver.KindVariable) }

func openFile(path string, kind resolver.Kind) (*File, error) {
	data, f, err := readOnce(path, kind)
	if err != nil {
		return nil, err
	}
	fl := &File{path: path, kind: kind, f: f}
	if fl.precount(data) {
		return fl, nil
	}
	// Read whole: YAML, invalid UTF-8, a repeated key.
	conns, values, err := parseKind(data, f, kind, path)
	if err != nil {
		return nil, err
	}
	fl.whole, fl.wholeValues = conns, values
	fl.total = conns.len() + len(values)
	return fl, nil
}

// precount checks a JSON or .env file's syntax and counts the entries it
// defines when every key occurs once. It returns false when the file must
// be read whole.
func (fl *File) precount(data []byte) bool {
	if fl.f != formatJSON && fl.f != formatEnv {
		return false
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		return false
	}
	seen := map[string]struct{}{}
	unique := true
	visit := func(key string, defines bool) bool {
		if _, dup := seen[key]; dup {
			unique = false
			return false
		}
		seen[key] = struct{}{}
		if defines {
			fl.total++
		}
		return true
	}
	var p problems
	switch fl.f {
	case formatJSON:
		r, _, ok := openJSON(data, &p)
		if !ok {
			return false // parseKind reports the problem
		}
		r.keys(func(key string, raw string) bool {
			// What defines nothing: "" and [] for a connection, null for a
			// variable; anything else defines one or is a problem.
			return visit(key, !definesNothing(raw, fl.kind))
		})
	case formatEnv:
		scanDotenv(data, &p, func(key string, _ int, _ string) bool { return visit(key, true) })
	}
	if !unique || !p.empty() {
		// Read whole: a repeated key's last definition is known only at
		// the end, and a syntax problem (an .env line without "=") is
		// reported at open, before anything is written.
		return false
	}
	fl.data = data
	return true
}

// Len is the number of entries the file defines when it has no problem.
func (fl *File) Len() int { return fl.total }

// Each builds the connections of a file opened with OpenConnections and
// calls fn with them, at most n at a time, in file order. It stops at fn's
// first error and returns it. After the last batch it returns a *ParseError
// listing every problem of the file, if it has any: fn has then been given
// only the good connections.
func (fl *File) Each(n int, fn func([]connection.Connection) error) error {
	batch := make([]connection.Connection, 0, n)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := fn(batch)
		batch = batch[:0]
		return err
	}
	if fl.data == nil {
		// Sorted by id, as imports always wrote: the same order (and the
		// same ids in a failing batch's message) on every run, and row
		// locks taken in one order by concurrent imports.
		ids := make([]string, 0, fl.whole.len())
		for id := range fl.whole.all() {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			e, _ := fl.whole.get(id)
			c := e.conn
			c.ConnID = id
			if batch = append(batch, c); len(batch) == n {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	}
	var err error
	perr := fl.each(func(key string, pos int, v *value, p *problems) bool {
		e := member{key: key, line: pos, val: *v}
		cb, ok, pos, msg := connectionEntry(fl.f, &e)
		if msg != "" {
			p.add(pos, msg)
			return true
		}
		if !ok {
			return true
		}
		key, ce := cb.entry()
		c := ce.conn
		c.ConnID = key // the record's copy of the key
		if batch = append(batch, c); len(batch) == n {
			err = flush()
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	return perr
}

// EachVariable is Each for a file opened with OpenVariables: fn is given
// the keys and the values of a batch.
func (fl *File) EachVariable(n int, fn func(keys, values []string) error) error {
	keys, values := make([]string, 0, n), make([]string, 0, n)
	flush := func() error {
		if len(keys) == 0 {
			return nil
		}
		err := fn(keys, values)
		keys, values = keys[:0], values[:0]
		return err
	}
	add := func(k, v string) error {
		keys, values = append(keys, k), append(values, v)
		if len(keys) == n {
			return flush()
		}
		return nil
	}
	if fl.data == nil {
		for _, k := range slices.Sorted(maps.Keys(fl.wholeValues)) { // sorted, as in Each
			if err := add(k, fl.wholeValues[k]); err != nil {
				return err
			}
		}
		return flush()
	}
	var err error
	perr := fl.each(func(key string, pos int, v *value, p *problems) bool {
		e := member{key: key, line: pos, val: *v}
		s, ok, pos, msg := variableEntry(fl.f, &e)
		if msg != "" {
			p.add(pos, msg)
			return true
		}
		if ok {
			err = add(e.key, s) // the entry's own copy of key (variableEntry)
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	return perr
}

// each reads the file's entries in order (every key once: precount checked)
// and calls fn with each, which reports problems to the problems it is
// given; it returns the problems as a *ParseError, or nil.
func (fl *File) each(fn func(key string, pos int, v *value, p *problems) bool) error {
	var syntax, build problems
	switch fl.f {
	case formatJSON:
		r := checkedJSON(fl.data) // an object, checked by precount (not again for every Each)
		build.useOffsets(fl.data)
		if !r.members(func(key string, keyPos int, v value) bool { return fn(key, keyPos, &v, &build) }) {
			return nil
		}
	case formatEnv:
		if !scanDotenv(fl.data, &syntax, func(key string, line int, val string) bool {
			v := value{kind: vString, line: line, s: val}
			return fn(key, line, &v, &build)
		}) {
			return nil
		}
	}
	syntax.merge(&build)
	return syntax.err(fl.path)
}

// definesNothing reports whether a top-level JSON value (its text) defines
// no entry of kind: "" and an empty list for a connection, null for a
// variable. Anything else defines one, or is a problem Each reports.
func definesNothing(raw string, kind resolver.Kind) bool {
	switch kind {
	case resolver.KindConnection:
		if raw == `""` {
			return true
		}
		if raw[0] == '[' {
			r := jsonReader{s: raw, i: 1}
			r.space()
			return raw[r.i] == ']'
		}
	case resolver.KindVariable:
		return raw == "null"
	}
	return false
}
