package localfs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unsafe"
)

// MaxReportedErrors is how many problems a [ParseError] lists; the rest are
// only counted (ParseError.Omitted), so that a huge broken file cannot make a
// huge error.
const MaxReportedErrors = 100

// ParseError reports everything wrong with one secrets file: syntax errors,
// values of the wrong type, keys defined twice, connections that do not
// parse. It is Airflow's AirflowFileParseException (with its FileSyntaxError
// list) plus the uniqueness and connection errors Airflow raises one at a
// time.
//
// Line numbers are 1-based for every format. Airflow reports YAML problems
// with PyYAML's 0-based line numbers; we do not.
//
// No message contains a value from the file: messages name keys (ids),
// lines, columns and kinds of problem only. Library messages that quote
// content are reduced to their position and kind.
type ParseError struct {
	Path    string      // the file, as configured
	Errors  []LineError // sorted by line
	Omitted int         // problems beyond MaxReportedErrors, not listed
}

// LineError is one problem in a secrets file.
type LineError struct {
	Line int    // 1-based
	Msg  string // never contains a value from the file
}

// Error lists every problem on its own line as "path:line: message".
func (e *ParseError) Error() string {
	var b strings.Builder
	for i, le := range e.Errors {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Path)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(le.Line))
		b.WriteString(": ")
		b.WriteString(le.Msg)
	}
	if e.Omitted > 0 {
		if len(e.Errors) > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s: and %d more problem(s)", e.Path, e.Omitted)
	}
	return b.String()
}

// problems collects the LineErrors of one file, up to MaxReportedErrors.
type problems struct {
	list    []LineError
	omitted int
	// data, when set, is the file whose byte offsets the problems from
	// list[from] on hold in their Line (the JSON reader records offsets):
	// resolve turns them into lines, in one pass over data, only when
	// there is a problem to report.
	data []byte
	from int
}

// useOffsets makes the positions given to add from now on byte offsets
// into data.
func (p *problems) useOffsets(data []byte) {
	p.data, p.from = data, len(p.list)
}

// add records a problem at position pos: a line, or a byte offset after
// useOffsets.
func (p *problems) add(pos int, msg string) {
	if len(p.list) >= MaxReportedErrors {
		p.omitted++
		return
	}
	p.list = append(p.list, LineError{Line: pos, Msg: msg})
}

// resolve turns the offsets recorded since useOffsets into lines (1 or
// more), counting lines once over the file for all of them.
func (p *problems) resolve() {
	if p.data != nil {
		idx := make([]int, 0, len(p.list)-p.from)
		for i := p.from; i < len(p.list); i++ {
			idx = append(idx, i)
		}
		slices.SortFunc(idx, func(a, b int) int { return p.list[a].Line - p.list[b].Line })
		c := lineCounter{data: p.data}
		for _, i := range idx {
			p.list[i].Line = c.at(p.list[i].Line)
		}
		p.data = nil
	}
	for i := range p.list {
		p.list[i].Line = max(p.list[i].Line, 1)
	}
}

// merge appends q's problems after p's.
func (p *problems) merge(q *problems) {
	p.resolve()
	q.resolve()
	for _, le := range q.list {
		p.add(le.Line, le.Msg)
	}
	p.omitted += q.omitted
}

func (p *problems) empty() bool { return len(p.list) == 0 && p.omitted == 0 }

// err returns the collected problems as a *ParseError, or nil.
func (p *problems) err(path string) error {
	if p.empty() {
		return nil
	}
	p.resolve()
	list := slices.Clone(p.list)
	slices.SortStableFunc(list, func(a, b LineError) int { return a.Line - b.Line })
	return &ParseError{Path: path, Errors: list, Omitted: p.omitted}
}

// lineOf returns the 1-based line of byte offset off in data. A line ends at
// "\n", "\r\n" or "\r" (Python's universal newlines, which Airflow reads
// JSON through).
func lineOf(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	line := 1
	for i := 0; i < off; i++ {
		switch data[i] {
		case '\n':
			line++
		case '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
				if i >= off { // off points at the '\n' of "\r\n"
					return line
				}
			}
			line++
		}
	}
	return line
}

// lineCounter turns increasing byte offsets into line numbers in O(n) total.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (c *lineCounter) at(off int) int {
	off = min(max(off, 0), len(c.data))
	if c.line == 0 || off < c.off {
		c.off, c.line = 0, 1
	}
	for c.off < off {
		switch c.data[c.off] {
		case '\n':
			c.line++
		case '\r':
			if c.off+1 < len(c.data) && c.data[c.off+1] == '\n' {
				if c.off+1 >= off {
					return c.line
				}
				c.off++
			}
			c.line++
		}
		c.off++
	}
	return c.line
}

// columnOf returns the 1-based column (in characters) of byte offset off.
func columnOf(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	start := off
	for start > 0 && data[start-1] != '\n' && data[start-1] != '\r' {
		start--
	}
	return 1 + len([]rune(string(data[start:off])))
}

// bytesString returns data as a string without copying it. The readers
// (openJSON, scanDotenv) read the file this way, so the keys and values they
// hand over point into the file's bytes, which must not change while they
// are in use: parseFile and parseKind take ownership of the data they are
// given. None of those strings outlives the parse: an entry that defines
// something is given its own memory when it is built (ownText for a
// variable or config, packConnection's record for a connection), so that a
// caller keeping one connection or value keeps that entry, not the whole
// file (up to 64 MiB, one per reload).
func bytesString(data []byte) string {
	return unsafe.String(unsafe.SliceData(data), len(data))
}
