package localfs

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The .env messages are Airflow's, word for word.
const (
	msgNoEquals   = `Invalid line format. The line should contain at least one equal sign ("=").`
	msgEmptyKey   = "Invalid line format. Key is empty."
	msgEmptyValue = "Invalid line format. Value is empty."
)

// parseDotenv reads a .env file as Airflow's _parse_env_file does:
//
//   - lines are split as Python's str.splitlines splits them (see
//     nextLine), and numbered from 1;
//   - an empty line is skipped, and so is a comment: optional whitespace
//     (Python's \s), then '#';
//   - any other line is split at its first '='; no '=' (a line of spaces
//     too), an empty key or an empty value is an error;
//   - keys and values are kept exactly: no trimming, no unquoting;
//   - a repeated key collects every value, in order.
//
// Each entry's value is an array of strings, one per definition, each with
// its line.
func parseDotenv(data []byte, p *problems) []member {
	var out objectBuilder
	scanDotenv(data, p, func(key string, lineNo int, val string) bool {
		v := value{kind: vString, line: lineNo, s: val}
		if i, ok := out.index[key]; ok {
			arr := &out.members[i].val
			arr.elems = append(arr.elems, v)
			return true
		}
		out.set(member{key: key, line: lineNo, val: value{kind: vArray, line: lineNo, elems: []value{v}}})
		return true
	})
	return out.members
}

// scanDotenv reads data's lines as parseDotenv describes, in one pass,
// reporting bad lines to p and calling fn with each entry in order (keys
// and values point into data) until fn returns false; it reports whether
// fn always returned true.
func scanDotenv(data []byte, p *problems, fn func(key string, line int, val string) bool) bool {
	s := bytesString(data)
	lineNo := 0
	for len(s) > 0 {
		var line string
		line, s = nextLine(s)
		lineNo++
		if len(line) == 0 || isComment(line) {
			continue
		}
		eq := strings.IndexByte(line, '=')
		switch {
		case eq < 0:
			p.add(lineNo, msgNoEquals)
			continue
		case eq == 0:
			p.add(lineNo, msgEmptyKey)
			continue
		case eq == len(line)-1:
			p.add(lineNo, msgEmptyValue)
			continue
		}
		if !fn(line[:eq], lineNo, line[eq+1:]) {
			return false
		}
	}
	return true
}

// nextLine splits off the first line of data as Python's str.splitlines
// does on text read in universal-newline mode: a line ends at "\r\n", "\r",
// "\n", "\v", "\f", "\x1c", "\x1d", "\x1e", U+0085, U+2028 or U+2029, and
// the break is not part of the line. data is valid UTF-8.
func nextLine(data string) (line, rest string) {
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e:
			return data[:i], data[i+1:]
		case '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				return data[:i], data[i+2:]
			}
			return data[:i], data[i+1:]
		case 0xC2: // U+0085 is C2 85
			if i+1 < len(data) && data[i+1] == 0x85 {
				return data[:i], data[i+2:]
			}
		case 0xE2: // U+2028, U+2029 are E2 80 A8, E2 80 A9
			if i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xA8 || data[i+2] == 0xA9) {
				return data[:i], data[i+3:]
			}
		}
	}
	return data, ""
}

// isComment matches Airflow's COMMENT_PATTERN, `\s*#.*`, anchored at the
// start of the line (re.match). Python's \s matches what str.isspace
// accepts.
func isComment(line string) bool {
	for len(line) > 0 {
		r, size := utf8.DecodeRuneInString(line)
		if r == '#' {
			return true
		}
		if !pyIsSpace(r) {
			return false
		}
		line = line[size:]
	}
	return false
}

// pyIsSpace reports whether Python's str.isspace is true for r: Unicode
// White_Space, plus U+001C..U+001F, which Python counts as separators.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}
