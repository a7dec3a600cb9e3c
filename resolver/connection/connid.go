package connection

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// connIDMaxLen is Airflow's CONN_ID_MAX_LEN, in characters (code points).
const connIDMaxLen = 250

// ValidID reports whether id is a connection id Airflow keeps: one to
// 250 characters, each a Unicode letter or number (Python's \w), '_' or one
// of # ! ( ) - . : / \ — the full match of Airflow's RE_SANITIZE_CONN_ID.
// A parse function given an id that is not valid returns a Connection whose
// ConnID is "", as Airflow sanitises such an id to None.
func ValidID(id string) bool {
	n := utf8.RuneCountInString(id)
	return n >= 1 && n <= connIDMaxLen && allConnIDRunes(id)
}

// sanitizeConnID is Airflow's sanitize_conn_id, with "" for None. Python's
// '$' also matches before one trailing newline, so Airflow turns "abc\n"
// into "abc"; this does the same.
func sanitizeConnID(id string) string {
	if asciiConnID(id) {
		return id
	}
	if utf8.RuneCountInString(id) > connIDMaxLen {
		return ""
	}
	s := strings.TrimSuffix(id, "\n")
	if s == "" || !allConnIDRunes(s) {
		return ""
	}
	return s
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allConnIDRunes(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if !isASCIILetter(c) && !isDigit(c) && strings.IndexByte(`_#!()-.:/\`, c) < 0 {
				return false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
			return false
		}
		i += size - 1
	}
	return true
}

// asciiConnID reports whether id is a valid id of at most 250 ASCII
// characters: the common case, which sanitizeConnID answers without
// counting runes.
func asciiConnID(id string) bool {
	if id == "" || len(id) > connIDMaxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case isASCIILetter(c), isDigit(c):
		case c == '_', c == '#', c == '!', c == '(', c == ')', c == '-', c == '.', c == ':', c == '/', c == '\\':
		default:
			return false
		}
	}
	return true
}
