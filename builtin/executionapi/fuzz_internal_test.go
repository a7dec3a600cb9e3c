package executionapi

import (
	"encoding/json"
	"net/textproto"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/secretpath/secretpath/resolver"
)

// FuzzDecode: whatever a server sends as a 200 body, decoding returns a
// value or an error that quotes nothing of the body; a connection that
// decodes is Airflow's JSON form; a body that is not one JSON value
// (trailing data included) is an error.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"key":"k","value":"v"}`, `{"key":"k","value":null}`, `{"conn_id":"c","conn_type":"x","port":1,"extra":"{}"}`,
		`{"conn_type":null}`, `[]`, `null`, `{"key":"k","value":"Pl4nted"} x`, `{"conn_type":"x","port":1.5}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, kind := range []resolver.Kind{resolver.KindConnection, resolver.KindVariable} {
			req := resolver.Request{Kind: kind, ID: "k"}
			var err error
			var v string
			if kind == resolver.KindConnection {
				v, err = decodeConnection(req, []byte(body))
				if err == nil && !strings.HasPrefix(v, `{"conn_type":`) {
					t.Fatalf("a decoded connection is not Airflow's JSON form")
				}
			} else {
				_, err = decodeVariable(req, []byte(body))
			}
			if err == nil && !json.Valid([]byte(body)) {
				t.Fatalf("a body that is not one JSON value decoded")
			}
			if err != nil && len(body) >= 8 && strings.Contains(err.Error(), body) {
				t.Fatalf("the error quotes the body")
			}
		}
	})
}

// FuzzDetail: the server's message in an error is bounded, printable and
// never holds the token.
func FuzzDetail(f *testing.F) {
	for _, s := range []string{`{"detail":"Missing auth token"}`, `{"detail":{"reason":"not_found","message":"m"}}`,
		`{"detail":[{"msg":"x"}]}`, `{"message":"Internal server error"}`, `[{"msg":"y"}]`, `{"detail":"tok-12345 \u0007"}`} {
		f.Add(s, "tok-12345")
	}
	f.Fuzz(func(t *testing.T, body, token string) {
		// Tokens are JWTs: base64url parts joined by dots.
		if len(token) < 8 || strings.Trim(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != "" {
			return
		}
		d := detailOf([]byte(body), []string{token})
		if len(d) > 1000 {
			t.Fatalf("detail of %d bytes", len(d))
		}
		if strings.Contains(d, token) {
			t.Fatalf("the detail holds the token")
		}
		for _, r := range d {
			if r < 0x20 || r == 0x7f || r == utf8.RuneError {
				t.Fatalf("the detail holds %U", r)
			}
		}
	})
}

// TestCanonicalHeaders: the header names are in Go's canonical form, so
// that http.Header's Set and Get take them as they are (a non-canonical
// name would still work, with a copy made on every request).
func TestCanonicalHeaders(t *testing.T) {
	for _, h := range []string{versionHeader, refreshedHeader} {
		assert.Equal(t, textproto.CanonicalMIMEHeaderKey(h), h)
	}
}
