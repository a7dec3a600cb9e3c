package backendtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/secretpath/secretpath/resolver"
)

// The suite's checks, on the standard library alone so that a backend's
// tests do not inherit a dependency. A failure says what was checked, what
// was expected and what was got; a value that may be a secret (a password,
// a connection's raw value, a variable, a config, extras) is never printed:
// redact describes it instead, and jsonEqual names the keys that differ.

// reporter is the part of testing.TB the checks use (tests give them a
// recorder).
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// report fails the test, stopping it when fatal.
func report(t reporter, fatal bool, format string, args ...any) {
	t.Helper()
	if fatal {
		t.Fatalf(format, args...)
	} else {
		t.Errorf(format, args...)
	}
}

// redact describes a possibly secret value without showing it: its length
// and, next to want, where it first differs and how.
func redact(got, want string) string {
	if got == "" {
		return "an empty value"
	}
	d := fmt.Sprintf("a %d-byte value (redacted)", len(got))
	if want == "" || got == want {
		return d
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	switch {
	case i == len(want):
		d += fmt.Sprintf(" that starts with the expected value and has %d more bytes", len(got)-len(want))
	case i == len(got):
		d += fmt.Sprintf(" that is the first %d bytes of the expected value", len(got))
	default:
		d += fmt.Sprintf(" that first differs from the expected value at byte %d", i)
	}
	switch {
	case strings.TrimSpace(got) == strings.TrimSpace(want):
		d += ", differing only in surrounding white space"
	case strings.EqualFold(got, want):
		d += ", differing only in case"
	}
	return d
}

// equal checks a value that is no secret (ids, hosts, ports, counts),
// printed in full with %#v.
func equal[T comparable](t reporter, fatal bool, what string, want, got T) bool {
	t.Helper()
	if got == want {
		return true
	}
	report(t, fatal, "%s: got %#v, want %#v", what, got, want)
	return false
}

// equalSecret checks a value that may be a secret without printing either
// side.
func equalSecret(t reporter, fatal bool, what, want, got string) bool {
	t.Helper()
	if got == want {
		return true
	}
	report(t, fatal, "%s: got %s, want a %d-byte value (values not shown)", what, redact(got, want), len(want))
	return false
}

// jsonEqual checks that got is JSON equal to want (key order and spacing
// aside). Values are not printed: a failure names the top-level keys that
// differ.
func jsonEqual(t reporter, fatal bool, what, want, got string) bool {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		report(t, true, "%s: the expected value is not JSON: %v (a bug in the suite)", what, err)
		return false
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		at := ""
		var se *json.SyntaxError
		if errors.As(err, &se) {
			at = fmt.Sprintf(" (syntax error at byte %d)", se.Offset)
		}
		report(t, fatal, "%s: got %s, which is not JSON%s; want JSON equal to a %d-byte value (values not shown)",
			what, redact(got, ""), at, len(want))
		return false
	}
	if reflect.DeepEqual(w, g) {
		return true
	}
	report(t, fatal, "%s: JSON differs: %s (values not shown)", what, jsonDiff(w, g))
	return false
}

// jsonDiff names how two decoded JSON documents differ, without their values.
func jsonDiff(want, got any) string {
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if !wok || !gok {
		return fmt.Sprintf("got a JSON %s, want a JSON %s", jsonKind(got), jsonKind(want))
	}
	var missing, extra, changed []string
	for k, wv := range wm {
		gv, ok := gm[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case !reflect.DeepEqual(wv, gv):
			changed = append(changed, k)
		}
	}
	for k := range gm {
		if _, ok := wm[k]; !ok {
			extra = append(extra, k)
		}
	}
	var parts []string
	for _, p := range []struct {
		label string
		keys  []string
	}{{"missing keys", missing}, {"unexpected keys", extra}, {"keys with other values", changed}} {
		if len(p.keys) > 0 {
			slices.Sort(p.keys)
			parts = append(parts, fmt.Sprintf("%s %q", p.label, p.keys))
		}
	}
	return strings.Join(parts, "; ")
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// noError checks that err is nil. Errors are printed: backends' errors
// never carry a secret value.
func noError(t reporter, fatal bool, what string, err error) bool {
	t.Helper()
	if err == nil {
		return true
	}
	report(t, fatal, "%s: unexpected error: %v", what, err)
	return false
}

// errorIs checks that err matches target (errors.Is).
func errorIs(t reporter, fatal bool, what string, err, target error) bool {
	t.Helper()
	if errors.Is(err, target) {
		return true
	}
	if err == nil {
		report(t, fatal, "%s: got no error, want one matching %q", what, target)
	} else {
		report(t, fatal, "%s: got error %q (%T), want one matching %q", what, err, err, target)
	}
	return false
}

// notErrorIs checks that err does not match target.
func notErrorIs(t reporter, fatal bool, what string, err, target error) bool {
	t.Helper()
	if !errors.Is(err, target) {
		return true
	}
	report(t, fatal, "%s: got error %q, which matches %q; want one that does not", what, err, target)
	return false
}

// notFound requires err to hold a *resolver.NotFoundError and returns it.
func notFound(t reporter, what string, err error) *resolver.NotFoundError {
	t.Helper()
	var nf *resolver.NotFoundError
	if !errors.As(err, &nf) {
		if err == nil {
			t.Fatalf("%s: got no error, want a *resolver.NotFoundError", what)
		} else {
			t.Fatalf("%s: got error %q (%T), want a *resolver.NotFoundError in its chain", what, err, err)
		}
	}
	return nf
}

// cleanMiss checks that a resolver's not-found error records no tier
// failure.
func cleanMiss(t reporter, what string, nf *resolver.NotFoundError) bool {
	t.Helper()
	if len(nf.Errs) == 0 {
		return true
	}
	t.Errorf("%s: a clean miss is not a tier failure, but the NotFoundError holds %d tier error(s): %v", what, len(nf.Errs), nf.Errs)
	return false
}
