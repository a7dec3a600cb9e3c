package kit

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPrintable(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{name: "plain", in: "forbidden", n: 20, want: "forbidden"},
		{name: "line breaks and tabs are spaces", in: "a\nb\r\tc", n: 20, want: "a b  c"},
		{name: "escape sequences are defused", in: "a\x1b[31mb\x7f\u009bc", n: 20, want: "a?[31mb??c"},
		{name: "bytes that are not UTF-8", in: "a\xffb", n: 20, want: "a?b"},
		{name: "invisible format characters", in: "a\u200bb\u202ec", n: 20, want: "a?b?c"},
		{name: "cut at the limit", in: "abcdef", n: 4, want: "abcd..."},
		{name: "cut at a rune boundary", in: "aé€", n: 4, want: "aé..."},
		{name: "a rune that would straddle the limit is left out", in: "ab€", n: 4, want: "ab..."},
		{name: "exactly the limit", in: "abcd", n: 4, want: "abcd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Printable(tt.in, tt.n)
			assert.Equal(t, tt.want, got)
			assert.True(t, strings.ToValidUTF8(got, "") == got, "valid UTF-8")
		})
	}
}

func TestTransportError(t *testing.T) {
	cause := &opError{errno: syscall.ECONNREFUSED}
	err := &url.Error{Op: "Get", URL: "https://h/p?labelSelector=x", Err: cause}
	got := TransportError(err)
	assert.Equal(t, cause.Error(), got.Error(), "the method and URL are gone")
	assert.ErrorIs(t, got, syscall.ECONNREFUSED, "the cause is kept")
	other := errors.New("x")
	assert.Same(t, other, TransportError(other))
	assert.Equal(t, http.ErrUseLastResponse, TransportError(&url.Error{Op: "Get", URL: "u", Err: http.ErrUseLastResponse}))
}

// opError is an error wrapping an errno, as *net.OpError does.
type opError struct{ errno syscall.Errno }

func (e *opError) Error() string { return "dial tcp 127.0.0.1:1: " + e.errno.Error() }
func (e *opError) Unwrap() error { return e.errno }

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://h:6443/base", "https://h:6443/base"},
		{"https://user:pw-hidden@h/", "https://***@h/"},
		{"https://tok-in-user@h", "https://***@h"},
		{"http://h/execution/?token=abc#frag", "http://h/execution/?***#***"},
		{"https://h/?", "https://h/"},
		{"http://[::1", "(not a URL)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, RedactURL(tt.in), "RedactURL of test %d", len(tt.in))
	}
}
