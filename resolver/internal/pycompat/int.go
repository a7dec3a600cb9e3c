package pycompat

import (
	"strings"
	"unicode"
)

// IntDigits reads s as Python's int(s) does — surrounding whitespace, a
// sign, Unicode decimal digits, single underscores between digits — and
// returns the value's ASCII decimal text, or false where int(s) raises
// ValueError.
func IntDigits(s string) (string, bool) {
	s = strings.TrimFunc(s, isPySpace)
	var b strings.Builder
	if s != "" && (s[0] == '+' || s[0] == '-') {
		if s[0] == '-' {
			b.WriteByte('-')
		}
		s = s[1:]
	}
	if s == "" {
		return "", false
	}
	prevDigit := false
	for _, r := range s {
		if r == '_' {
			if !prevDigit {
				return "", false
			}
			prevDigit = false
			continue
		}
		d, ok := decimalValue(r)
		if !ok {
			return "", false
		}
		b.WriteByte(byte('0' + d))
		prevDigit = true
	}
	if !prevDigit {
		return "", false
	}
	return b.String(), true
}

// decimalValue is the digit value of a Unicode decimal digit (category Nd,
// which Unicode lays out in runs of ten from zero).
func decimalValue(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	if !unicode.IsDigit(r) {
		return 0, false
	}
	zero := r
	for unicode.IsDigit(zero - 1) {
		zero--
	}
	return int(r-zero) % 10, true
}
