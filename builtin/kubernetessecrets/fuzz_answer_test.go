package kubernetessecrets_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/secretpath/secretpath/internal/k8sfake"
	"github.com/secretpath/secretpath/resolver"
)

// fuzzHidden is a value the seeds carry base64-encoded only.
const fuzzHidden = "fuzz-hidden-value-42"

// FuzzAnswer: whatever a (hostile) API server answers with 200, a lookup
// returns a value or an error and never panics; the error is one line and
// never shows a value that the body held only base64-encoded.
func FuzzAnswer(f *testing.F) {
	enc := base64.StdEncoding.EncodeToString([]byte(fuzzHidden))
	for _, s := range []string{
		`{"kind":"SecretList","items":[{"metadata":{"name":"a"},"data":{"value":"` + enc + `"}}]}`,
		`{"kind":"SecretList","items":[{"metadata":{"name":"a"},"data":{"value":"` + enc + `!"}}]}`,
		`{"kind":"SecretList","items":[{"metadata":{"name":"a"},"data":{"other":"` + enc + `"}},{"metadata":{"name":"b"}}]}`,
		`{"kind":"SecretList","items":[{"metadata":{"name":"a"},"data":{"value":"/w=="}}]}`,
		`{"kind":"Status","code":200}`,
		`{"items":null}`,
		`[` + enc + `]`,
		``,
	} {
		f.Add(s)
	}
	fake := k8sfake.New(f)
	fake.AllowToken(saToken)
	b, _ := newDirectTB(f, fake)
	f.Fuzz(func(t *testing.T, body string) {
		fake.Fault(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) })
		_, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
		if err == nil {
			return
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\n\r") {
			t.Fatalf("the error is not one line: %q", msg)
		}
		if !strings.Contains(body, fuzzHidden) && strings.Contains(msg, fuzzHidden) {
			t.Fatalf("the error shows a value: %q", msg)
		}
	})
}
