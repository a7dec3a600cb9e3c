package azurekeyvault

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestDescribeServiceError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
		body   string
		want   string
	}{
		{name: "Key Vault's document", status: 403, body: `{"error":{"code":"Forbidden","message":"no get permission","innererror":{"code":"AccessDenied"}}}`,
			want: "HTTP 403 Forbidden (Forbidden/AccessDenied): no get permission"},
		{name: "no inner error", status: 404, body: `{"error":{"code":"SecretNotFound","message":"A secret with (name/id) x was not found in this key vault."}}`,
			want: "HTTP 404 Not Found (SecretNotFound): A secret with (name/id) x was not found in this key vault."},
		{name: "code from the SDK when the body has none", status: 401, code: "Unauthorized", body: `not json`, want: "HTTP 401 Unauthorized (Unauthorized)"},
		{name: "unknown status", status: 599, body: `{"error":{"message":"m"}}`, want: "HTTP 599: m"},
		{name: "error not an object", status: 500, body: `{"error":"boom"}`, want: "HTTP 500 Internal Server Error"},
		{name: "control characters", status: 400, body: `{"error":{"code":"Bad\nParameter","message":"a\r\n\tb\u0000c"}}`, want: "HTTP 400 Bad Request (Bad Parameter): a b c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, describeServiceError(tt.status, tt.code, []byte(tt.body)))
		})
	}
	long := describeServiceError(500, "", []byte(`{"error":{"message":"`+strings.Repeat("é", 1000)+`"}}`))
	assert.LessOrEqual(t, len(long), 64+maxMessage+len("…"))
	assert.True(t, utf8.ValidString(long))
}

// FuzzDescribeServiceError: whatever the error body, the description is one
// valid UTF-8 line of bounded length.
func FuzzDescribeServiceError(f *testing.F) {
	f.Add(403, "", []byte(`{"error":{"code":"Forbidden","message":"m","innererror":{"code":"AccessDenied"}}}`))
	f.Add(404, "SecretNotFound", []byte(`{"error":{"code":"SecretNotFound"}}`))
	f.Add(500, "", []byte("<html>\n</html>"))
	f.Add(429, "Throttled", []byte(`{"error":{"code":"`+strings.Repeat("x", 200)+`","message":null,"innererror":7}}`))
	f.Fuzz(func(t *testing.T, status int, code string, body []byte) {
		d := describeServiceError(status, code, body)
		if strings.ContainsAny(d, "\n\r\x00") || !utf8.ValidString(d) {
			t.Fatalf("not one valid line: %q", d)
		}
		if len(d) > 64+3*(64+len("…"))+maxMessage+len("…") {
			t.Fatalf("too long (%d): %q", len(d), d)
		}
	})
}

func TestOneLine(t *testing.T) {
	assert.Equal(t, "a b c", oneLine("  a\n\n b\t\x00c  ", 100))
	assert.Equal(t, "abc…", oneLine("abcdef", 3))
	assert.Equal(t, "é…", oneLine("éé", 3), "cut on a rune boundary")
	assert.Equal(t, "", oneLine("\xff\xfe", 10))
}
