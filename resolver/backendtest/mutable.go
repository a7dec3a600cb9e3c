package backendtest

import (
	"fmt"
	"regexp"
	"sync"
	"testing"

	"github.com/secretpath/secretpath/resolver"
)

// sharedValue is what the key every writer overwrites may hold at the end.
var sharedValue = regexp.MustCompile(`^w[0-7]$`)

// The cases of mutable backends, run when Capabilities.Mutable.
func init() {
	mutable := func(c Capabilities) bool { return c.Mutable }
	suite = append(suite,
		testCase{name: "MutableConnections", needs: mutable, run: testMutableConnections},
		testCase{name: "MutableVariables", needs: mutable, run: testMutableVariables},
		testCase{name: "MutableDeleteAbsent", needs: mutable, run: testMutableDeleteAbsent},
		testCase{name: "MutableConcurrentWriters", needs: mutable, run: testMutableConcurrentWriters},
	)
}

func mutator(t *testing.T, h Harness, b resolver.Backend) Mutator {
	t.Helper()
	mh, ok := h.(MutableHarness)
	if !ok {
		t.Fatalf("Capabilities.Mutable but the harness %T is not a MutableHarness", h)
	}
	return mh.Mutator(t, b)
}

func testMutableConnections(t *testing.T, h Harness, caps Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Connections: map[string]string{"kept": "http://kept-host"}})
	m := mutator(t, h, b)

	noError(t, true, `SetConnection("smtp_default")`, m.SetConnection(ctx, "smtp_default", uriValue))
	got, err := connection(ctx, b, "smtp_default")
	noError(t, true, `connection lookup of "smtp_default" after SetConnection`, err)
	assertSameConnection(t, `connection "smtp_default" after SetConnection`, mustParse(t, "smtp_default", uriValue), got)

	values := []string{"mysql://other:pw2@new-host:3307/db2"}
	if caps.JSONConnections {
		values = append(values, jsonValue)
	}
	for i, v := range values {
		what := fmt.Sprintf(`connection "smtp_default" after overwrite %d`, i+1)
		noError(t, true, what+": SetConnection", m.SetConnection(ctx, "smtp_default", v))
		got, err = newResolver(b).Connection(ctx, "smtp_default")
		noError(t, true, what+": resolver lookup", err)
		assertSameConnection(t, what, mustParse(t, "smtp_default", v), got)
	}

	noError(t, true, `DeleteConnection("smtp_default")`, m.DeleteConnection(ctx, "smtp_default"))
	_, err = connection(ctx, b, "smtp_default")
	errorIs(t, false, `connection lookup of "smtp_default" after DeleteConnection`, err, resolver.ErrNotFound)
	_, err = connection(ctx, b, "kept")
	noError(t, false, `connection lookup of "kept" after deleting another (other connections stay)`, err)
}

func testMutableVariables(t *testing.T, h Harness, caps Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Variables: map[string]string{"kept": "x"}})
	m := mutator(t, h, b)
	vals := []string{"first", "grüße ✓", `{"a": [1, 2]}`}
	if caps.MultilineValues {
		vals = append(vals, "line one\nline two\n")
	}
	if caps.EmptyVariables {
		vals = append(vals, "")
	}
	for i, v := range vals {
		what := fmt.Sprintf(`variable "hello" after write %d of %d`, i+1, len(vals))
		noError(t, true, what+": SetVariable", m.SetVariable(ctx, "hello", v))
		got, err := lookup(ctx, b, resolver.KindVariable, "hello")
		noError(t, true, what+": Variable", err)
		equalSecret(t, false, what, v, got)
	}
	noError(t, true, `DeleteVariable("hello")`, m.DeleteVariable(ctx, "hello"))
	_, err := lookup(ctx, b, resolver.KindVariable, "hello")
	errorIs(t, false, `Variable("hello") after DeleteVariable`, err, resolver.ErrNotFound)
	got, err := lookup(ctx, b, resolver.KindVariable, "kept")
	noError(t, true, `Variable("kept") after deleting another`, err)
	equalSecret(t, false, `Variable("kept") after deleting another`, "x", got)
}

func testMutableDeleteAbsent(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Variables: map[string]string{"present": "x"}, Connections: map[string]string{"present": "http://h"}})
	m := mutator(t, h, b)
	errorIs(t, false, `DeleteConnection("absent")`, m.DeleteConnection(ctx, "absent"), resolver.ErrNotFound)
	errorIs(t, false, `DeleteVariable("absent")`, m.DeleteVariable(ctx, "absent"), resolver.ErrNotFound)
	errorIs(t, false, `DeleteConnection("Present") (ids are case-sensitive)`, m.DeleteConnection(ctx, "Present"), resolver.ErrNotFound)
}

func testMutableConcurrentWriters(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{})
	m := mutator(t, h, b)
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := m.SetVariable(ctx, fmt.Sprintf("v_%d_%d", w, i), fmt.Sprintf("value-%d-%d", w, i)); err != nil {
					errs <- err
					return
				}
				// Every writer also overwrites one shared key.
				if err := m.SetVariable(ctx, "shared", fmt.Sprintf("w%d", w)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range writers {
		for i := range each {
			what := fmt.Sprintf("Variable(%q) after concurrent writes", fmt.Sprintf("v_%d_%d", w, i))
			got, err := lookup(ctx, b, resolver.KindVariable, fmt.Sprintf("v_%d_%d", w, i))
			if noError(t, false, what, err) {
				equalSecret(t, false, what, fmt.Sprintf("value-%d-%d", w, i), got)
			}
		}
	}
	shared, err := lookup(ctx, b, resolver.KindVariable, "shared")
	noError(t, true, `Variable("shared") after concurrent writes`, err)
	if !sharedValue.MatchString(shared) {
		t.Errorf(`Variable("shared") after concurrent writes: got %s, want one writer's value (matching %s)`, redact(shared, ""), sharedValue)
	}
}
