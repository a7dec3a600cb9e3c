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
	// lines, when set, turns the positions passed to add into lines: the
	// JSON reader records byte offsets, and lines are only counted for a
	// problem.
	lines func(pos int) int
}

// at returns the line of position pos.
func (p *problems) at(pos int) int {
	if p.lines != nil {
		return p.lines(pos)
	}
	return pos
}

// add records a problem at position pos (a line, or what p.lines reads).
func (p *problems) add(pos int, msg string) {
	line := p.at(pos)
	if line < 1 {
		line = 1
	}
	if len(p.list) >= MaxReportedErrors {
		p.omitted++
		return
	}
	p.list = append(p.list, LineError{Line: line, Msg: msg})
}

// merge appends q's problems (already lines) after p's.
func (p *problems) merge(q *problems) {
	lines := p.lines
	p.lines = nil
	for _, le := range q.list {
		p.add(le.Line, le.Msg)
	}
	p.lines = lines
	p.omitted += q.omitted
}

func (p *problems) empty() bool { return len(p.list) == 0 && p.omitted == 0 }

// err returns the collected problems as a *ParseError, or nil.
func (p *problems) err(path string) error {
	if p.empty() {
		return nil
	}
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

// newLineIndex returns lineOf(data, ·), indexing data's line starts at the
// first call (a problem) so that each later call is a binary search.
func newLineIndex(data []byte) func(off int) int {
	var starts []int // offsets where lines 2, 3, ... start
	indexed := false
	return func(off int) int {
		if !indexed {
			indexed = true
			for i := 0; i < len(data); i++ {
				switch data[i] {
				case '\n':
					starts = append(starts, i+1)
				case '\r':
					if i+1 < len(data) && data[i+1] == '\n' {
						i++
					}
					starts = append(starts, i+1)
				}
			}
		}
		off = min(max(off, 0), len(data))
		// Lines before off's: the starts at or before it.
		n, _ := slices.BinarySearch(starts, off+1)
		return 1 + n
	}
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

// bytesString returns data as a string without copying it. The strings a
// parse returns point into the file's bytes this way (the file is held once,
// not copied value by value), so the bytes must never change afterwards:
// parseFile and parseKind take ownership of the data they are given.
func bytesString(data []byte) string {
	return unsafe.String(unsafe.SliceData(data), len(data))
}
