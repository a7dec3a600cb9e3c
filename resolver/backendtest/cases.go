package backendtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
)

type testCase struct {
	name  string
	needs func(Capabilities) bool
	run   func(t *testing.T, h Harness, caps Capabilities)
}

// The values the suite stores. The password is distinctive so that a test
// can tell whether it leaked.
const (
	uriValue  = "smtps://user:p%40ss%2Fw0rd-CONFORMANCE@relay.example.com:465/mail?timeout=30&tls=true"
	jsonValue = `{"conn_type": "postgresql", "host": "db.example.com", "login": "app", "password": "json-P4ss-CONFORMANCE", "port": 5432, "schema": "prod", "extra": {"sslmode": "require", "options": {"a": [1, 2]}}}`
)

var suite = []testCase{
	{name: "ConnectionURI", run: testConnectionURI},
	{name: "ConnectionJSON", needs: func(c Capabilities) bool { return c.JSONConnections }, run: testConnectionJSON},
	{name: "ConnectionNotFound", run: testConnectionNotFound},
	{name: "ConnectionIDs", run: testConnectionIDs},
	{name: "Variable", run: testVariable},
	{name: "VariableValues", run: testVariableValues},
	{name: "VariableEmpty", needs: func(c Capabilities) bool { return c.EmptyVariables }, run: testVariableEmpty},
	{name: "VariableNotFound", run: testVariableNotFound},
	{name: "KindsAreSeparate", run: testKindsAreSeparate},
	{name: "Config", needs: func(c Capabilities) bool { return c.Configs }, run: testConfig},
	{name: "ConfigAbsent", needs: func(c Capabilities) bool { return !c.Configs }, run: testConfigAbsent},
	{name: "Concurrency", run: testConcurrency},
	{name: "ContextCanceled", run: testContextCanceled},
}

func ctxFor(t *testing.T) context.Context { return t.Context() }

// connection looks connID up through the backend's optional fast path or
// its raw value, exactly as the resolver does.
func connection(ctx context.Context, b resolver.Backend, connID string) (resolver.Connection, error) {
	if cb, ok := b.(resolver.ConnectionBackend); ok {
		return cb.Connection(ctx, connID)
	}
	v, err := b.ConnectionValue(ctx, connID)
	if err != nil {
		return resolver.Connection{}, err
	}
	return resolver.ParseConnection(connID, v)
}

func newResolver(b resolver.Backend) *resolver.Resolver {
	return resolver.New(resolver.WithBackend("conformance", b))
}

// assertSameConnection compares everything Airflow keeps, with extras
// compared as JSON.
func assertSameConnection(t *testing.T, want, got resolver.Connection) {
	t.Helper()
	assert.Equal(t, want.ConnType, got.ConnType, "conn_type")
	assert.Equal(t, want.Host, got.Host, "host")
	assert.Equal(t, want.Schema, got.Schema, "schema")
	assert.Equal(t, want.Login, got.Login, "login")
	assert.Equal(t, want.Password.Reveal(), got.Password.Reveal(), "password")
	assert.Equal(t, want.Port, got.Port, "port")
	if want.Extra == "" {
		assert.Empty(t, got.Extra, "extra")
	} else {
		assert.JSONEq(t, want.Extra, got.Extra, "extra")
	}
}

func mustParse(t *testing.T, id, v string) resolver.Connection {
	t.Helper()
	c, err := resolver.ParseConnection(id, v)
	require.NoError(t, err)
	return c
}

func testConnectionURI(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Connections: map[string]string{"smtp_default": uriValue}})
	want := mustParse(t, "smtp_default", uriValue)

	got, err := connection(ctx, b, "smtp_default")
	require.NoError(t, err)
	assertSameConnection(t, want, got)

	raw, err := b.ConnectionValue(ctx, "smtp_default")
	require.NoError(t, err)
	assertSameConnection(t, want, mustParse(t, "smtp_default", raw))

	viaResolver, err := newResolver(b).Connection(ctx, "smtp_default")
	require.NoError(t, err)
	assertSameConnection(t, want, viaResolver)
	assert.Equal(t, "smtp_default", viaResolver.ConnID)
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v %s", viaResolver, viaResolver, viaResolver, viaResolver), "CONFORMANCE",
		"printing a connection must not show its password")
}

func testConnectionJSON(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Connections: map[string]string{"pg": jsonValue}})
	want := mustParse(t, "pg", jsonValue)
	require.Equal(t, "postgres", want.ConnType)

	got, err := newResolver(b).Connection(ctx, "pg")
	require.NoError(t, err)
	assertSameConnection(t, want, got)
	assert.Equal(t, int64(2), got.ExtraValue("options.a.1").Int())
}

func testConnectionNotFound(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{
		Connections: map[string]string{"present": uriValue},
		Variables:   map[string]string{"absent_conn": "a variable, not a connection"},
	})
	for _, id := range []string{"absent_conn", "presen", "present_", "missing"} {
		_, err := connection(ctx, b, id)
		assert.ErrorIs(t, err, resolver.ErrNotFound, "direct lookup of %q", id)
		_, err = b.ConnectionValue(ctx, id)
		assert.ErrorIs(t, err, resolver.ErrNotFound, "raw lookup of %q", id)

		_, err = newResolver(b).Connection(ctx, id)
		var nf *resolver.NotFoundError
		require.ErrorAs(t, err, &nf, "resolver lookup of %q", id)
		assert.Empty(t, nf.Errs, "a clean miss is not a tier failure")
		assert.Equal(t, []string{"conformance"}, nf.Searched)
	}
}

func testConnectionIDs(t *testing.T, h Harness, caps Capabilities) {
	ctx := ctxFor(t)
	ids := map[string]string{
		"with-dash":      "mysql://a@host-one/db1",
		"with.dot":       "mysql://b@host-two/db2",
		"UPPER_lower_9":  "mysql://c@host-three/db3",
		"a":              "mysql://d@host-four/db4",
		"google_default": "google-cloud-platform://?key_path=%2Fkeys%2Fkey.json",
	}
	var unstorable []string
	if caps.RestrictedIDs {
		for id := range ids {
			if strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
				unstorable = append(unstorable, id)
				delete(ids, id)
			}
		}
	}
	b := h.Backend(ctx, t, Seed{Connections: ids})
	r := newResolver(b)
	for _, id := range unstorable {
		_, err := r.Connection(ctx, id)
		var nf *resolver.NotFoundError
		require.ErrorAs(t, err, &nf, "an id the service cannot hold: %q", id)
		assert.Empty(t, nf.Errs, "a clean miss, not a tier failure: %q", id)
	}
	for id, uri := range ids {
		got, err := r.Connection(ctx, id)
		require.NoError(t, err, id)
		assertSameConnection(t, mustParse(t, id, uri), got)
	}
	if !caps.CaseInsensitiveIDs {
		_, err := r.Connection(ctx, "WITH-DASH")
		assert.ErrorIs(t, err, resolver.ErrNotFound, "ids are case-sensitive")
	}
}

func testVariable(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Variables: map[string]string{"hello": "world"}})
	v, err := b.Variable(ctx, "hello")
	require.NoError(t, err)
	assert.Equal(t, "world", v)

	s, err := newResolver(b).Variable(ctx, "hello")
	require.NoError(t, err)
	assert.Equal(t, "world", s.Reveal())
	assert.Equal(t, "***", fmt.Sprint(s))
}

func testVariableValues(t *testing.T, h Harness, caps Capabilities) {
	ctx := ctxFor(t)
	vals := map[string]string{
		"json_text":  `{"k1": "v1", "k2": [1, 2]}`,
		"unicode":    "grüße, 世界 ✓",
		"equals":     "a=b=c",
		"spaces":     "  padded value  ",
		"hash_start": "#not-a-comment",
		"quotes":     `'single' "double"`,
		"url":        "https://user:pw@example.com/path?q=1#frag",
	}
	if caps.MultilineValues {
		vals["multiline"] = "line one\nline two\n"
	}
	b := h.Backend(ctx, t, Seed{Variables: vals})
	r := newResolver(b)
	for k, want := range vals {
		got, err := r.Variable(ctx, k)
		require.NoError(t, err, k)
		if k == "json_text" {
			assert.JSONEq(t, want, got.Reveal(), k)
			continue
		}
		assert.Equal(t, want, got.Reveal(), k)
	}
}

func testVariableEmpty(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Variables: map[string]string{"empty": ""}})
	v, err := newResolver(b).Variable(ctx, "empty")
	require.NoError(t, err, "an empty variable is a value, not a miss")
	assert.Equal(t, "", v.Reveal())
}

func testVariableNotFound(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Variables: map[string]string{"present": "x"}})
	for _, key := range []string{"absent", "presen", "present_"} {
		_, err := b.Variable(ctx, key)
		assert.ErrorIs(t, err, resolver.ErrNotFound, key)
		_, err = newResolver(b).Variable(ctx, key)
		assert.ErrorIs(t, err, resolver.ErrNotFound, key)
	}
}

func testKindsAreSeparate(t *testing.T, h Harness, caps Capabilities) {
	ctx := ctxFor(t)
	seed := Seed{
		Connections: map[string]string{"only_conn": "http://conn-host"},
		Variables:   map[string]string{"only_var": "var-value"},
	}
	if caps.Configs {
		seed.Configs = map[string]string{"only_cfg": "cfg-value"}
	}
	b := h.Backend(ctx, t, seed)
	_, err := b.Variable(ctx, "only_conn")
	assert.ErrorIs(t, err, resolver.ErrNotFound)
	_, err = connection(ctx, b, "only_var")
	assert.ErrorIs(t, err, resolver.ErrNotFound)
	if cb, ok := b.(resolver.ConfigBackend); ok {
		_, err = cb.Config(ctx, "only_var")
		assert.ErrorIs(t, err, resolver.ErrNotFound)
		_, err = cb.Config(ctx, "only_conn")
		assert.ErrorIs(t, err, resolver.ErrNotFound)
	}
	if caps.Configs {
		_, err = b.Variable(ctx, "only_cfg")
		assert.ErrorIs(t, err, resolver.ErrNotFound)
	}
}

func testConfig(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Configs: map[string]string{"sql_alchemy_conn": "postgresql://u:cfg-P4ss@db/airflow"}})
	cb, ok := b.(resolver.ConfigBackend)
	require.True(t, ok, "Capabilities.Configs but no Config method")
	v, err := cb.Config(ctx, "sql_alchemy_conn")
	require.NoError(t, err)
	assert.Equal(t, "postgresql://u:cfg-P4ss@db/airflow", v)

	s, err := newResolver(b).Config(ctx, "sql_alchemy_conn")
	require.NoError(t, err)
	assert.Equal(t, "postgresql://u:cfg-P4ss@db/airflow", s.Reveal())
	_, err = newResolver(b).Config(ctx, "absent")
	assert.ErrorIs(t, err, resolver.ErrNotFound)
}

func testConfigAbsent(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Variables: map[string]string{"k": "v"}})
	_, err := newResolver(b).Config(ctx, "k")
	assert.ErrorIs(t, err, resolver.ErrNotFound)
}

func testConcurrency(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	const n = 20
	seed := Seed{Connections: map[string]string{}, Variables: map[string]string{}}
	for i := range n {
		seed.Connections[fmt.Sprintf("conn_%d", i)] = fmt.Sprintf("postgres://u%d:p%d@host%d:%d/db%d", i, i, i, 5000+i, i)
		seed.Variables[fmt.Sprintf("var_%d", i)] = fmt.Sprintf("value-%d", i)
	}
	b := h.Backend(ctx, t, seed)
	r := newResolver(b)

	var wg sync.WaitGroup
	errs := make(chan error, 16*n)
	for g := range 16 {
		wg.Go(func() {
			for j := range 3 * n {
				i := (g + j) % n
				c, err := r.Connection(ctx, fmt.Sprintf("conn_%d", i))
				if err != nil || c.Host != fmt.Sprintf("host%d", i) || c.Port != 5000+i {
					errs <- fmt.Errorf("conn_%d: got host %q port %d, err %v", i, c.Host, c.Port, err)
					return
				}
				v, err := r.Variable(ctx, fmt.Sprintf("var_%d", i))
				if err != nil || v.Reveal() != fmt.Sprintf("value-%d", i) {
					errs <- fmt.Errorf("var_%d: wrong value or err %v", i, err)
					return
				}
				if _, err := r.Variable(ctx, fmt.Sprintf("missing_%d", i)); !errors.Is(err, resolver.ErrNotFound) {
					errs <- fmt.Errorf("missing_%d: want not found, got %v", i, err)
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
}

func testContextCanceled(t *testing.T, h Harness, _ Capabilities) {
	b := h.Backend(ctxFor(t), t, Seed{
		Connections: map[string]string{"c": uriValue},
		Variables:   map[string]string{"v": "value"},
	})
	ctx, cancel := context.WithCancel(ctxFor(t))
	cancel()

	_, err := connection(ctx, b, "c")
	assert.ErrorIs(t, err, context.Canceled, "connection lookup with a canceled context")
	_, err = b.Variable(ctx, "v")
	assert.ErrorIs(t, err, context.Canceled, "variable lookup with a canceled context")

	r := newResolver(b)
	_, err = r.Connection(ctx, "c")
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	_, err = r.Variable(ctx, "v")
	assert.ErrorIs(t, err, context.Canceled)
}
