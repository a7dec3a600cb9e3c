package localfs

import (
	"bytes"
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
	lineNo := 0
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		lineNo++
		if len(line) == 0 || isComment(line) {
			continue
		}
		eq := bytes.IndexByte(line, '=')
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
		key := string(line[:eq])
		v := value{kind: vString, line: lineNo, s: string(line[eq+1:])}
		if i, ok := out.index[key]; ok {
			arr := &out.members[i].val
			arr.elems = append(arr.elems, v)
			continue
		}
		out.set(member{key: key, line: lineNo, val: value{kind: vArray, line: lineNo, elems: []value{v}}})
	}
	return out.members
}

// nextLine splits off the first line of data as Python's str.splitlines
// does on text read in universal-newline mode: a line ends at "\r\n", "\r",
// "\n", "\v", "\f", "\x1c", "\x1d", "\x1e", U+0085, U+2028 or U+2029, and
// the break is not part of the line. data is valid UTF-8.
func nextLine(data []byte) (line, rest []byte) {
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
	return data, nil
}

// isComment matches Airflow's COMMENT_PATTERN, `\s*#.*`, anchored at the
// start of the line (re.match). Python's \s matches what str.isspace
// accepts.
func isComment(line []byte) bool {
	for len(line) > 0 {
		r, size := utf8.DecodeRune(line)
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
