package config

// This file reads airflow.cfg. It is our own small parser rather than a
// library so that every error carries the file name and a 1-based line
// number, and so that the rules are exactly those of Python's configparser
// as Airflow uses it (ConfigParser with its defaults: strict=True,
// empty_lines_in_values=True, BasicInterpolation, "=" and ":" delimiters,
// "#" and ";" full-line comments, no inline comments, no valueless keys).
//
// Error messages never contain a value, only section and option names and
// line numbers: values of airflow.cfg are often secrets.

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// iniDefaultSection is configparser's default_section: its options are
	// inherited by every other section of the file.
	iniDefaultSection = "DEFAULT"

	// maxInterpolationDepth is configparser's MAX_INTERPOLATION_DEPTH.
	maxInterpolationDepth = 10

	// maxValueLen bounds an interpolated value; configparser has no bound,
	// but a few nested references can otherwise expand to gigabytes.
	maxValueLen = 1 << 20
)

// maxInterpolationSteps bounds the work of checking a file of size n's
// interpolation (see iniFile.steps): 2 per byte plus 1M (a file that
// needs no re-checking takes under 1 per byte). A file reaches it
// only when many sections override names that many [DEFAULT] options
// reference, each of which must then be checked again in each such
// section; configparser would accept such a file (and read each option
// slowly), we refuse it.
func maxInterpolationSteps(n int) int { return 2*n + 1<<20 }

// iniFile is a parsed configuration file: raw (not yet interpolated) values
// by section, as configparser stores them.
type iniFile struct {
	name     string // for messages
	defaults *iniSection
	sections map[string]*iniSection
	order    []*iniSection // in file order, DEFAULT excluded
	// steps counts the work of validate: references followed and options
	// visited (tests check it stays linear in the file). validate stops
	// past maxSteps, when set.
	steps    int
	maxSteps int
}

type iniSection struct {
	name  string
	line  int // of the first header
	opts  map[string]*iniOption
	order []*iniOption
}

// iniOption is one option as written in the file.
type iniOption struct {
	section string // the section it is written in
	key     string // lower-cased
	line    int    // of the key
	// lines holds the source line of each line of raw: index 0 is the key's
	// line, then one entry per continuation (or kept blank) line.
	lines []int
	raw   string
	toks  []interpToken // raw, split for BasicInterpolation
	refs  bool          // whether toks holds a %(name)s reference
	pct   bool          // whether raw contains '%' at all
}

// interpToken is a literal (ref == "") or a %(name)s reference (name
// already lower-cased, as configparser's optionxform does).
type interpToken struct {
	lit string
	ref string
	at  int // byte offset of a reference in the raw value
}

// iniError is the error type of config loading. Its message is
// "where: [section] key: msg" where "where" is "path:line", "path" or
// "env NAME"; it never contains a value. It matches ErrInvalid.
type iniError struct {
	where   string
	section string
	key     string
	from    string // "DEFAULT" when the option was inherited from [DEFAULT]
	msg     string
	err     error // optional cause
}

func (e *iniError) Error() string {
	var b strings.Builder
	if e.where != "" {
		b.WriteString(e.where)
		b.WriteString(": ")
	}
	if e.section != "" || e.key != "" {
		b.WriteString("[")
		b.WriteString(displayName(e.section))
		b.WriteString("]")
		if e.key != "" {
			b.WriteString(" ")
			b.WriteString(displayName(e.key))
		}
		if e.from != "" {
			b.WriteString(" (from [" + e.from + "])")
		}
		b.WriteString(": ")
	}
	b.WriteString(e.msg)
	return b.String()
}

// Unwrap returns ErrInvalid and the cause, if any.
func (e *iniError) Unwrap() []error {
	if e.err != nil {
		return []error{ErrInvalid, e.err}
	}
	return []error{ErrInvalid}
}

// displayName prints a section or option name as is when it is plain, and
// quoted when it holds spaces, brackets, control or non-printable characters.
func displayName(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r == ' ' || r == '[' || r == ']' || r == '"' || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

func lineWhere(name string, line int) string {
	return name + ":" + strconv.Itoa(line)
}

// iniSpace reports whether Python's str.isspace holds for r (Go's
// unicode.IsSpace lacks the information separators U+001C..U+001F).
func iniSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func iniStrip(s string) string { return strings.TrimFunc(s, iniSpace) }

// iniIndent is the index, in characters, of the first non-space character.
func iniIndent(s string) int {
	n := 0
	for _, r := range s {
		if !iniSpace(r) {
			break
		}
		n++
	}
	return n
}

// nextLine splits off the first line; "\n", "\r\n" and "\r" end a line, as
// in Python's universal-newlines mode that configparser reads files in.
func nextLine(data []byte) (line, rest []byte) {
	i := bytes.IndexAny(data, "\r\n")
	if i < 0 {
		return data, nil
	}
	if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
		return data[:i], data[i+2:]
	}
	return data[:i], data[i+1:]
}

// sectionHeader matches configparser's SECTCRE, `\[(?P<header>.+)\]`,
// against a stripped line: it is anchored at the start only and the name
// runs to the last "]", so "[a] b" is section "a" and "[a]]" is "a]".
func sectionHeader(clean string) (string, bool) {
	if len(clean) < 3 || clean[0] != '[' {
		return "", false
	}
	j := strings.LastIndexByte(clean, ']')
	if j < 2 {
		return "", false
	}
	return clean[1:j], true
}

// parseINI parses data (an airflow.cfg) with configparser's rules:
//
//   - a UTF-8 byte order mark is skipped (Python would reject it unless told
//     to read "utf-8-sig"); lines end at "\n", "\r\n" or "\r";
//   - a line whose first non-space character is "#" or ";" is a comment, at
//     any indentation and even inside a continued value; a "#" or ";" after a
//     value is part of the value;
//   - "[name]" starts a section; names are case-sensitive; "[DEFAULT]" holds
//     options every section inherits and may appear more than once; any
//     other section may not (strict);
//   - "key = value" or "key: value" is split at the first "=" or ":"; the key
//     is trimmed and lower-cased and may not be empty nor repeat within a
//     section (strict); the value is trimmed;
//   - a line indented deeper than its option's key line continues the value
//     (joined with "\n", each line trimmed); blank lines after an option are
//     kept in its value (empty_lines_in_values) unless only blank lines
//     follow; comment lines are dropped;
//   - a line with no "=" or ":", or any option before the first section, is
//     an error;
//   - every value must have valid BasicInterpolation syntax: "%%" or
//     "%(name)s" only.
func parseINI(name string, data []byte) (*iniFile, error) {
	f, err := parseINISyntax(name, data)
	if err != nil {
		return nil, err
	}
	f.maxSteps = maxInterpolationSteps(len(data))
	if err := f.validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// parseINISyntax is parseINI without the interpolation check.
func parseINISyntax(name string, data []byte) (*iniFile, error) {
	f := &iniFile{
		name:     name,
		defaults: &iniSection{name: iniDefaultSection, opts: map[string]*iniOption{}},
		sections: map[string]*iniSection{},
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var (
		cur    *iniSection
		opt    *iniOption
		indent int // of the last section header or key line
		vals   = map[*iniOption][]string{}
	)
	for lineNo := 1; len(data) > 0; lineNo++ {
		var raw []byte
		raw, data = nextLine(data)
		if !utf8.Valid(raw) {
			return nil, &iniError{where: lineWhere(name, lineNo), msg: "invalid UTF-8"}
		}
		line := string(raw)
		clean := iniStrip(line)
		if clean == "" || clean[0] == '#' || clean[0] == ';' {
			if clean == "" && opt != nil {
				vals[opt] = append(vals[opt], "")
				opt.lines = append(opt.lines, lineNo)
			}
			continue
		}
		ind := iniIndent(line)
		if opt != nil && ind > indent {
			vals[opt] = append(vals[opt], clean)
			opt.lines = append(opt.lines, lineNo)
			continue
		}
		indent = ind
		if header, ok := sectionHeader(clean); ok {
			opt = nil
			if header == iniDefaultSection {
				cur = f.defaults
				if cur.line == 0 {
					cur.line = lineNo
				}
				continue
			}
			if prev, dup := f.sections[header]; dup {
				return nil, &iniError{where: lineWhere(name, lineNo), section: header,
					msg: fmt.Sprintf("duplicate section (first on line %d)", prev.line)}
			}
			cur = &iniSection{name: header, line: lineNo, opts: map[string]*iniOption{}}
			f.sections[header] = cur
			f.order = append(f.order, cur)
			continue
		}
		if cur == nil {
			return nil, &iniError{where: lineWhere(name, lineNo),
				msg: "option before any [section] header"}
		}
		i := strings.IndexAny(clean, "=:")
		if i < 0 {
			return nil, &iniError{where: lineWhere(name, lineNo),
				msg: `line is neither a [section] header nor a "key = value" option`}
		}
		key := strings.ToLower(iniStrip(clean[:i]))
		if key == "" {
			return nil, &iniError{where: lineWhere(name, lineNo), section: cur.name,
				msg: `option with an empty name before "="/":"`}
		}
		if prev, dup := cur.opts[key]; dup {
			return nil, &iniError{where: lineWhere(name, lineNo), section: cur.name, key: key,
				msg: fmt.Sprintf("duplicate option (first on line %d)", prev.line)}
		}
		opt = &iniOption{section: cur.name, key: key, line: lineNo, lines: []int{lineNo}}
		vals[opt] = []string{iniStrip(clean[i+1:])}
		cur.opts[key] = opt
		cur.order = append(cur.order, opt)
	}
	for _, s := range append([]*iniSection{f.defaults}, f.order...) {
		for _, o := range s.order {
			v := vals[o]
			for len(v) > 1 && v[len(v)-1] == "" { // configparser's rstrip()
				v = v[:len(v)-1]
			}
			o.lines = o.lines[:len(v)]
			o.raw = strings.Join(v, "\n")
			o.pct = strings.Contains(o.raw, "%")
			toks, bad := tokenizeInterp(o.raw)
			if bad >= 0 {
				return nil, &iniError{where: lineWhere(name, o.lineAt(bad)), section: s.name, key: o.key,
					msg: `bad interpolation syntax: "%" must be followed by "%" or "(name)s"`}
			}
			o.toks = toks
			for _, t := range toks {
				if t.ref != "" {
					o.refs = true
				}
			}
		}
	}
	return f, nil
}

// lineAt returns the source line holding byte offset off of o.raw.
func (o *iniOption) lineAt(off int) int {
	if off > len(o.raw) {
		off = len(o.raw)
	}
	return o.lineOfIndex(strings.Count(o.raw[:off], "\n"))
}

// lineOfIndex returns the source line of line k (0-based) of the value.
func (o *iniOption) lineOfIndex(k int) int {
	k = max(min(k, len(o.lines)-1), 0)
	return o.lines[k]
}

// tokenizeInterp splits a raw value for BasicInterpolation: "%%" is a
// literal "%", "%(name)s" (name: one or more characters other than ")") a
// reference; any other "%" is a syntax error, whose byte offset is returned
// (else -1).
func tokenizeInterp(raw string) ([]interpToken, int) {
	var toks []interpToken
	var lit strings.Builder
	for i := 0; i < len(raw); {
		p := strings.IndexByte(raw[i:], '%')
		if p < 0 {
			lit.WriteString(raw[i:])
			break
		}
		lit.WriteString(raw[i : i+p])
		i += p
		switch {
		case strings.HasPrefix(raw[i:], "%%"):
			lit.WriteByte('%')
			i += 2
		case strings.HasPrefix(raw[i:], "%("):
			end := strings.IndexByte(raw[i+2:], ')')
			if end <= 0 || !strings.HasPrefix(raw[i+2+end+1:], "s") {
				return nil, i
			}
			if lit.Len() > 0 {
				toks = append(toks, interpToken{lit: lit.String()})
				lit.Reset()
			}
			toks = append(toks, interpToken{ref: strings.ToLower(raw[i+2 : i+2+end]), at: i})
			i += 2 + end + 2
		default:
			return nil, i
		}
	}
	if lit.Len() > 0 {
		toks = append(toks, interpToken{lit: lit.String()})
	}
	return toks, -1
}

// lookup returns the option key as section reads it: its own, else the one
// it inherits from [DEFAULT]. A section absent from the file has no options,
// not even inherited ones (configparser's has_option). Section "DEFAULT"
// itself is not readable this way, as in Airflow.
func (f *iniFile) lookup(section, key string) (*iniOption, bool) {
	s, ok := f.sections[section]
	if !ok {
		return nil, false
	}
	if o, ok := s.opts[key]; ok {
		return o, true
	}
	o, ok := f.defaults.opts[key]
	return o, ok
}

// interpCtx interpolates values as read in one section.
type interpCtx struct {
	f       *iniFile
	section string
	height  map[*iniOption]int // 0 while being visited
	length  map[*iniOption]int
	memo    map[*iniOption]string
	// For validate only. shared, when set, is the context that reads
	// [DEFAULT] alone: a [DEFAULT] option that reaches no name the section
	// defines itself (not in affected) interpolates there exactly as in
	// the section, so its result is computed once for every section. Its
	// section is iniDefaultSection (no other section has that name).
	shared   *interpCtx
	affected map[*iniOption]bool
}

// interpFault is a failed reference found by visit: option o, the line of
// the reference and the message. It becomes an error in the section being
// checked (see errAt), whichever context found it.
type interpFault struct {
	o    *iniOption
	line int
	msg  string
}

func (f *iniFile) ctx(section string) *interpCtx {
	return &interpCtx{f: f, section: section, height: map[*iniOption]int{},
		length: map[*iniOption]int{}, memo: map[*iniOption]string{}}
}

// validate checks, for every section and every option it reads (its own
// and those inherited from [DEFAULT]), that interpolation succeeds: every
// reference exists, references nest at most maxInterpolationDepth deep and
// do not loop, and the result is at most maxValueLen bytes. configparser
// only fails when an option is read; we fail at load, so that every later
// read succeeds.
//
// The check is linear in the file for [DEFAULT] options whose references
// reach no name a section overrides: each is checked once, in a context
// that reads [DEFAULT] alone, and its result reused in every section
// (where it interpolates the same options, so the result and any error are
// the same). Only the [DEFAULT] options that do reach a name a section
// defines (found by walking the references backwards from the section's
// own names) are checked again in that section.
func (f *iniFile) validate() error { return f.validateShared(true) }

// validateShared is validate; without share every section checks every
// inherited option itself (the quadratic reference the tests compare
// against).
func (f *iniFile) validateShared(share bool) error {
	var inherited []*iniOption // [DEFAULT] options with references
	refBy := map[string][]*iniOption{}
	for _, o := range f.defaults.order {
		if o.refs {
			inherited = append(inherited, o)
			for _, t := range o.toks {
				if t.ref != "" {
					refBy[t.ref] = append(refBy[t.ref], o)
				}
			}
		}
	}
	var shared *interpCtx
	if share {
		shared = f.ctx(iniDefaultSection)
	}
	for _, s := range f.order {
		x := f.ctx(s.name)
		if share {
			x.shared = shared
			x.affected = f.affected(s, refBy)
		}
		check := func(o *iniOption) error {
			if !o.refs {
				return nil
			}
			h, fault := x.visit(o)
			if fault != nil {
				return x.errAt(fault.o, fault.line, fault.msg)
			}
			if h > maxInterpolationDepth {
				return x.errAt(o, o.line, fmt.Sprintf("interpolation nests more than %d levels deep", maxInterpolationDepth))
			}
			if x.length[o] > maxValueLen {
				return x.errAt(o, o.line, "interpolated value is too long")
			}
			return nil
		}
		for _, o := range s.order {
			if err := check(o); err != nil {
				return err
			}
		}
		for _, o := range inherited {
			if _, own := s.opts[o.key]; own {
				continue
			}
			if err := check(o); err != nil {
				return err
			}
		}
		if f.maxSteps > 0 && f.steps > f.maxSteps {
			return &iniError{where: lineWhere(f.name, s.line), section: s.name, msg: fmt.Sprintf(
				"checking interpolation takes more than %d steps: too many sections override names that [DEFAULT] options reference", f.maxSteps)}
		}
	}
	return nil
}

// affected returns the [DEFAULT] options that read differently in section
// s than in [DEFAULT] alone: those whose references reach, directly or
// through other [DEFAULT] options, a name s defines. refBy lists the
// [DEFAULT] options referring to each name.
func (f *iniFile) affected(s *iniSection, refBy map[string][]*iniOption) map[*iniOption]bool {
	var out map[*iniOption]bool
	queue := make([]string, 0, len(s.order))
	for _, o := range s.order {
		queue = append(queue, o.key)
	}
	for len(queue) > 0 {
		name := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, d := range refBy[name] {
			f.steps++
			if out[d] {
				continue
			}
			if out == nil {
				out = map[*iniOption]bool{}
			}
			out[d] = true
			queue = append(queue, d.key)
		}
	}
	return out
}

func (x *interpCtx) errAt(o *iniOption, line int, msg string) error {
	e := &iniError{where: lineWhere(x.f.name, line), section: x.section, key: o.key, msg: msg}
	if o.section != x.section {
		e.from = o.section
	}
	return e
}

// visit computes o's interpolation height (configparser's recursion depth
// when reading o: 1, plus one for each nested reference whose raw value
// holds "%") and the length of its result. A loop gives a height above the
// limit.
func (x *interpCtx) visit(o *iniOption) (int, *interpFault) {
	if h, ok := x.height[o]; ok {
		if h == 0 { // on the stack: a reference loop
			return maxInterpolationDepth + 1, nil
		}
		return h, nil
	}
	if x.shared != nil && o.section == iniDefaultSection && !x.affected[o] {
		h, fault := x.shared.visit(o)
		if fault != nil {
			return 0, fault
		}
		x.height[o], x.length[o] = h, x.shared.length[o]
		return h, nil
	}
	x.f.steps++
	x.height[o] = 0
	h, n := 1, 0
	for _, t := range o.toks {
		if t.ref == "" {
			n += len(t.lit)
			continue
		}
		x.f.steps++
		var r *iniOption
		var ok bool
		if x.section == iniDefaultSection {
			r, ok = x.f.defaults.opts[t.ref]
		} else {
			r, ok = x.f.lookup(x.section, t.ref)
		}
		if !ok {
			return 0, &interpFault{o: o, line: o.lineAt(t.at), msg: "bad interpolation: reference to a missing option"}
		}
		if !r.pct {
			n += len(r.raw)
			continue
		}
		rh, fault := x.visit(r)
		if fault != nil {
			return 0, fault
		}
		h = max(h, rh+1)
		n += x.length[r]
		if h > maxInterpolationDepth || n > maxValueLen {
			break
		}
	}
	x.height[o] = min(h, maxInterpolationDepth+1)
	x.length[o] = min(n, maxValueLen+1)
	return x.height[o], nil
}

// value returns o's interpolated value as read in x's section. The file has
// been validated, so every reference resolves.
func (x *interpCtx) value(o *iniOption) string {
	if !o.pct {
		return o.raw
	}
	if v, ok := x.memo[o]; ok {
		return v
	}
	var b strings.Builder
	for _, t := range o.toks {
		if t.ref == "" {
			b.WriteString(t.lit)
			continue
		}
		r, ok := x.f.lookup(x.section, t.ref)
		if !ok { // unreachable after validate
			continue
		}
		b.WriteString(x.value(r))
	}
	v := b.String()
	x.memo[o] = v
	return v
}

// get returns the interpolated value of key as read in section, and the
// option it comes from.
func (f *iniFile) get(section, key string) (string, *iniOption, bool) {
	o, ok := f.lookup(section, key)
	if !ok {
		return "", nil, false
	}
	return f.ctx(section).value(o), o, true
}
