package backendtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/secretpath/secretpath/resolver"
	sp "github.com/secretpath/secretpath/resolver/connection"
)

// recorder is a reporter that keeps the messages instead of failing.
type recorder struct {
	errors, fatals []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

func (r *recorder) all() string {
	return strings.Join(append(append([]string(nil), r.errors...), r.fatals...), "\n")
}

const (
	secretWant = "want-S3CRET-value"
	secretGot  = "got-S3CRET-other"
)

// TestChecksMessages: each check passes silently on a match; on a mismatch
// it reports once (fatally when asked), says what was checked and what
// differs, and never prints a secret value.
func TestChecksMessages(t *testing.T) {
	tests := []struct {
		name      string
		check     func(r reporter, fatal bool) bool
		wantOK    bool
		wantIn    []string // substrings of the message
		forbidden []string // substrings the message must not hold
	}{
		{name: "equal match", check: func(r reporter, f bool) bool { return equal(r, f, "port", 5432, 5432) }, wantOK: true},
		{name: "equal mismatch prints both", check: func(r reporter, f bool) bool { return equal(r, f, "host", "db.example.com", "other.example.com") },
			wantIn: []string{"host", `got "other.example.com"`, `want "db.example.com"`}},
		{name: "secret match", check: func(r reporter, f bool) bool { return equalSecret(r, f, "password", secretWant, secretWant) }, wantOK: true},
		{name: "secret mismatch", check: func(r reporter, f bool) bool { return equalSecret(r, f, "password", secretWant, secretGot) },
			wantIn: []string{"password", "16-byte value", "first differs from the expected value at byte 0", "17-byte value", "not shown"}, forbidden: []string{"S3CRET", "value-", "got-"}},
		{name: "secret prefix", check: func(r reporter, f bool) bool { return equalSecret(r, f, "variable", secretWant, secretWant+"\n") },
			wantIn: []string{"has 1 more bytes", "surrounding white space"}, forbidden: []string{"S3CRET"}},
		{name: "secret truncated", check: func(r reporter, f bool) bool { return equalSecret(r, f, "variable", secretWant, secretWant[:4]) },
			wantIn: []string{"first 4 bytes of the expected value"}, forbidden: []string{"S3CRET", "want-"}},
		{name: "secret case", check: func(r reporter, f bool) bool {
			return equalSecret(r, f, "variable", secretWant, strings.ToUpper(secretWant))
		}, wantIn: []string{"differing only in case"}, forbidden: []string{"S3CRET"}},
		{name: "secret empty", check: func(r reporter, f bool) bool { return equalSecret(r, f, "extra", "", secretGot) },
			wantIn: []string{"extra", "16-byte value (redacted)", "want a 0-byte value"}, forbidden: []string{"S3CRET"}},
		{name: "json equal", check: func(r reporter, f bool) bool {
			return jsonEqual(r, f, "extra", `{"a": 1, "b": [1, 2]}`, `{"b":[1,2],"a":1}`)
		}, wantOK: true},
		{name: "json keys differ", check: func(r reporter, f bool) bool {
			return jsonEqual(r, f, "extra", `{"token": "`+secretWant+`", "gone": 1, "same": true}`, `{"token": "`+secretGot+`", "new": 2, "same": true}`)
		}, wantIn: []string{"extra", `missing keys ["gone"]`, `unexpected keys ["new"]`, `keys with other values ["token"]`}, forbidden: []string{"S3CRET", "same"}},
		{name: "json kind differs", check: func(r reporter, f bool) bool { return jsonEqual(r, f, "variable", `{"k": "v"}`, `["`+secretGot+`"]`) },
			wantIn: []string{"got a JSON array, want a JSON object"}, forbidden: []string{"S3CRET"}},
		{name: "not json", check: func(r reporter, f bool) bool { return jsonEqual(r, f, "variable", `{"k": "v"}`, `{"k": `+secretGot) },
			wantIn: []string{"not JSON", "syntax error at byte"}, forbidden: []string{"S3CRET"}},
		{name: "no error", check: func(r reporter, f bool) bool { return noError(r, f, "lookup", nil) }, wantOK: true},
		{name: "error", check: func(r reporter, f bool) bool { return noError(r, f, `Variable("k")`, errors.New("boom")) },
			wantIn: []string{`Variable("k")`, "unexpected error: boom"}},
		{name: "error is", check: func(r reporter, f bool) bool {
			return errorIs(r, f, "lookup", fmt.Errorf("tier: %w", resolver.ErrNotFound), resolver.ErrNotFound)
		}, wantOK: true},
		{name: "error is: nil", check: func(r reporter, f bool) bool { return errorIs(r, f, `Variable("absent")`, nil, resolver.ErrNotFound) },
			wantIn: []string{`Variable("absent")`, "got no error", "want one matching", resolver.ErrNotFound.Error()}},
		{name: "error is: other", check: func(r reporter, f bool) bool {
			return errorIs(r, f, "lookup", errors.New("connection refused"), resolver.ErrNotFound)
		}, wantIn: []string{`got error "connection refused" (*errors.errorString)`, resolver.ErrNotFound.Error()}},
		{name: "not error is", check: func(r reporter, f bool) bool {
			return notErrorIs(r, f, "canceled lookup", fmt.Errorf("x: %w", resolver.ErrNotFound), resolver.ErrNotFound)
		}, wantIn: []string{"canceled lookup", "which matches", "want one that does not"}},
	}
	for _, tt := range tests {
		for _, fatal := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/fatal=%v", tt.name, fatal), func(t *testing.T) {
				r := &recorder{}
				ok := tt.check(r, fatal)
				if ok != tt.wantOK {
					t.Fatalf("check returned %v, want %v (messages: %q)", ok, tt.wantOK, r.all())
				}
				if tt.wantOK {
					if msg := r.all(); msg != "" {
						t.Fatalf("a passing check reported %q", msg)
					}
					return
				}
				wantErrors, wantFatals := 1, 0
				if fatal {
					wantErrors, wantFatals = 0, 1
				}
				if len(r.errors) != wantErrors || len(r.fatals) != wantFatals {
					t.Fatalf("got %d Errorf and %d Fatalf calls, want %d and %d", len(r.errors), len(r.fatals), wantErrors, wantFatals)
				}
				msg := r.all()
				for _, s := range tt.wantIn {
					if !strings.Contains(msg, s) {
						t.Errorf("message %q does not contain %q", msg, s)
					}
				}
				for _, s := range tt.forbidden {
					if strings.Contains(msg, s) {
						t.Errorf("message %q contains %q", msg, s)
					}
				}
			})
		}
	}
}

// TestSameConnectionMessages: comparing two connections names every field
// that differs, prints the plain ones and neither password nor extras.
func TestSameConnectionMessages(t *testing.T) {
	want := sp.Connection{ConnType: "postgres", Host: "db.example.com", Login: "app", Password: sp.NewSecret(secretWant), Port: 5432, Extra: `{"token": "` + secretWant + `"}`}
	got := sp.Connection{ConnType: "mysql", Host: "db.example.com", Login: "app", Password: sp.NewSecret(secretGot), Port: 3306, Extra: `{"token": "` + secretGot + `"}`}
	r := &recorder{}
	assertSameConnection(r, `lookup of "pg"`, want, got)
	if len(r.fatals) != 0 || len(r.errors) != 4 {
		t.Fatalf("got %d Errorf and %d Fatalf calls, want 4 and 0: %q", len(r.errors), len(r.fatals), r.all())
	}
	msg := r.all()
	for _, s := range []string{`lookup of "pg": conn_type: got "mysql", want "postgres"`, `lookup of "pg": port: got 3306, want 5432`, `lookup of "pg": password`, `lookup of "pg": extra`, `["token"]`} {
		if !strings.Contains(msg, s) {
			t.Errorf("messages %q do not contain %q", msg, s)
		}
	}
	if strings.Contains(msg, "S3CRET") {
		t.Errorf("messages show a secret: %q", strings.ReplaceAll(msg, "S3CRET", "<leak>"))
	}

	r = &recorder{}
	assertSameConnection(r, "same", want, want)
	if msg := r.all(); msg != "" {
		t.Errorf("equal connections reported %q", msg)
	}
}

// TestNotFoundChecks: a resolver miss is returned; anything else stops the
// test with what was got; tier errors in a miss are reported.
func TestNotFoundChecks(t *testing.T) {
	r := &recorder{}
	miss := &resolver.NotFoundError{Searched: []string{"conformance"}}
	if got := notFound(r, "lookup", fmt.Errorf("wrapped: %w", miss)); got != miss || r.all() != "" {
		t.Fatalf("notFound = %v, messages %q; want the wrapped error and none", got, r.all())
	}
	if !cleanMiss(r, "lookup", miss) || r.all() != "" {
		t.Fatalf("a clean miss reported %q", r.all())
	}

	r = &recorder{}
	notFound(r, `resolver lookup of "x"`, errors.New("backend down"))
	if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], `got error "backend down"`) || !strings.Contains(r.fatals[0], "*resolver.NotFoundError") {
		t.Errorf("fatals = %q", r.fatals)
	}
	r = &recorder{}
	notFound(r, "lookup", nil)
	if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "got no error") {
		t.Errorf("fatals = %q", r.fatals)
	}

	r = &recorder{}
	miss.Errs = []*resolver.TierError{{Tier: "one", Err: errors.New("failed")}}
	if cleanMiss(r, "lookup", miss) || len(r.errors) != 1 || !strings.Contains(r.errors[0], "1 tier error(s): [one: failed]") {
		t.Errorf("errors = %q", r.errors)
	}
}
