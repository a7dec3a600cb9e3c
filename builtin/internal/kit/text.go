package kit

import (
	"errors"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable makes text from a server or a library fit for one line of an
// error or a log: line breaks and tabs become spaces, every other rune
// that is not printable (C0, DEL, C1: a terminal's escape sequences;
// invisible format characters such as U+200B) and bytes that are not
// UTF-8 become '?', and the result is cut, at a rune boundary, to at most
// n bytes followed by "...".
func Printable(s string, n int) string {
	var out strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\v' || r == '\f':
			r = ' '
		case r == utf8.RuneError || !unicode.IsPrint(r):
			r = '?'
		}
		if out.Len()+utf8.RuneLen(r) > n {
			out.WriteString("...")
			break
		}
		out.WriteRune(r)
	}
	return out.String()
}

// TransportError is a net/http client error without *url.Error's copy of
// the method and URL (which the caller's own message names, and whose
// query could hold what a log should not): the cause, unchanged, so that
// errors.As and errors.Is still see it.
func TransportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// RedactURL is a URL fit to print: user information becomes "***@", a
// query "?***" and a fragment "#***" (any of them may carry a
// credential); a string that does not parse as a URL is not printed.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a URL)"
	}
	hadUser := u.User != nil
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "***"
	}
	u.ForceQuery = false
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = "***", ""
	}
	s := u.String()
	if i := strings.Index(s, "//"); hadUser && i >= 0 {
		s = s[:i+2] + "***@" + s[i+2:]
	}
	return s
}
