package backendtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secretpath/secretpath/resolver"
	sp "github.com/secretpath/secretpath/resolver/connection"
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
	{name: "TeamRequest", run: testTeamRequest},
	{name: "Concurrency", run: testConcurrency},
	{name: "ContextCanceled", run: testContextCanceled},
	{name: "Batch", run: testBatch},
}

func ctxFor(t *testing.T) context.Context { return t.Context() }

// connection looks connID up through the backend's optional fast path or
// its raw value, exactly as the resolver does.
func connection(ctx context.Context, b resolver.Backend, connID string) (sp.Connection, error) {
	req := resolver.Request{Kind: resolver.KindConnection, ID: connID}
	if cb, ok := b.(resolver.ConnectionBackend); ok {
		return cb.Connection(ctx, req)
	}
	v, err := b.Lookup(ctx, req)
	if err != nil {
		return sp.Connection{}, err
	}
	return sp.Parse(connID, v)
}

// lookup asks b for one id of one kind, without a team.
func lookup(ctx context.Context, b resolver.Backend, kind resolver.Kind, id string) (string, error) {
	return b.Lookup(ctx, resolver.Request{Kind: kind, ID: id})
}

func newResolver(b resolver.Backend) *resolver.Resolver {
	return resolver.New(resolver.WithBackend("conformance", b))
}

// assertSameConnection compares everything Airflow keeps, with extras
// compared as JSON; what says which lookup it checks. The password and the
// extras are not printed.
func assertSameConnection(t reporter, what string, want, got sp.Connection) {
	t.Helper()
	equal(t, false, what+": conn_type", want.ConnType, got.ConnType)
	equal(t, false, what+": host", want.Host, got.Host)
	equal(t, false, what+": schema", want.Schema, got.Schema)
	equal(t, false, what+": login", want.Login, got.Login)
	equalSecret(t, false, what+": password", want.Password.Reveal(), got.Password.Reveal())
	equal(t, false, what+": port", want.Port, got.Port)
	if want.Extra == "" {
		equalSecret(t, false, what+": extra", "", got.Extra)
	} else {
		jsonEqual(t, false, what+": extra", want.Extra, got.Extra)
	}
}

func mustParse(t reporter, id, v string) sp.Connection {
	t.Helper()
	c, err := sp.Parse(id, v)
	noError(t, true, fmt.Sprintf("parsing the value of connection %q", id), err)
	return c
}

func testConnectionURI(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Connections: map[string]string{"smtp_default": uriValue}})
	want := mustParse(t, "smtp_default", uriValue)

	got, err := connection(ctx, b, "smtp_default")
	noError(t, true, `direct lookup of connection "smtp_default"`, err)
	assertSameConnection(t, `direct lookup of connection "smtp_default"`, want, got)

	raw, err := lookup(ctx, b, resolver.KindConnection, "smtp_default")
	noError(t, true, `ConnectionValue("smtp_default")`, err)
	assertSameConnection(t, `ConnectionValue("smtp_default") parsed`, want, mustParse(t, "smtp_default", raw))

	viaResolver, err := newResolver(b).Connection(ctx, "smtp_default")
	noError(t, true, `resolver lookup of connection "smtp_default"`, err)
	assertSameConnection(t, `resolver lookup of connection "smtp_default"`, want, viaResolver)
	equal(t, false, `resolver lookup of connection "smtp_default": conn_id`, "smtp_default", viaResolver.ConnID)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if strings.Contains(fmt.Sprintf(verb, viaResolver), "CONFORMANCE") {
			t.Errorf("printing a connection with %s shows its password (output not shown)", verb)
		}
	}
}

func testConnectionJSON(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Connections: map[string]string{"pg": jsonValue}})
	want := mustParse(t, "pg", jsonValue)
	equal(t, true, "conn_type parsed from the suite's JSON value", "postgres", want.ConnType)

	got, err := newResolver(b).Connection(ctx, "pg")
	noError(t, true, `resolver lookup of connection "pg"`, err)
	assertSameConnection(t, `resolver lookup of connection "pg"`, want, got)
	extra, _ := got.ExtraString("options.a.1")
	equal(t, false, `connection "pg": ExtraString("options.a.1")`, "2", extra)
}

func testConnectionNotFound(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{
		Connections: map[string]string{"present": uriValue},
		Variables:   map[string]string{"absent_conn": "a variable, not a connection"},
	})
	for _, id := range []string{"absent_conn", "presen", "present_", "missing"} {
		_, err := connection(ctx, b, id)
		errorIs(t, false, fmt.Sprintf("direct lookup of connection %q", id), err, resolver.ErrNotFound)
		_, err = lookup(ctx, b, resolver.KindConnection, id)
		errorIs(t, false, fmt.Sprintf("raw lookup of connection %q", id), err, resolver.ErrNotFound)

		_, err = newResolver(b).Connection(ctx, id)
		what := fmt.Sprintf("resolver lookup of connection %q", id)
		nf := notFound(t, what, err)
		cleanMiss(t, what, nf)
		if !slices.Equal(nf.Searched, []string{"conformance"}) {
			t.Errorf("%s: searched %q, want [\"conformance\"]", what, nf.Searched)
		}
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
		what := fmt.Sprintf("resolver lookup of connection %q, an id the service cannot hold", id)
		cleanMiss(t, what, notFound(t, what, err))
	}
	for id, uri := range ids {
		got, err := r.Connection(ctx, id)
		what := fmt.Sprintf("resolver lookup of connection %q", id)
		noError(t, true, what, err)
		assertSameConnection(t, what, mustParse(t, id, uri), got)
	}
	if !caps.CaseInsensitiveIDs {
		_, err := r.Connection(ctx, "WITH-DASH")
		errorIs(t, false, `resolver lookup of connection "WITH-DASH" (ids are case-sensitive)`, err, resolver.ErrNotFound)
	}
}

func testVariable(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Variables: map[string]string{"hello": "world"}})
	v, err := lookup(ctx, b, resolver.KindVariable, "hello")
	noError(t, true, `Variable("hello")`, err)
	equalSecret(t, false, `Variable("hello")`, "world", v)

	s, err := newResolver(b).Variable(ctx, "hello")
	noError(t, true, `resolver lookup of variable "hello"`, err)
	equalSecret(t, false, `resolver lookup of variable "hello"`, "world", s.Reveal())
	if p := fmt.Sprint(s); p != "***" {
		t.Errorf(`fmt.Sprint of a variable's Secret: got %s, want "***"`, redact(p, "***"))
	}
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
		what := fmt.Sprintf("resolver lookup of variable %q", k)
		noError(t, true, what, err)
		if k == "json_text" {
			jsonEqual(t, false, what, want, got.Reveal())
			continue
		}
		equalSecret(t, false, what, want, got.Reveal())
	}
}

func testVariableEmpty(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Variables: map[string]string{"empty": ""}})
	v, err := newResolver(b).Variable(ctx, "empty")
	noError(t, true, `resolver lookup of variable "empty" (an empty variable is a value, not a miss)`, err)
	equalSecret(t, false, `resolver lookup of variable "empty"`, "", v.Reveal())
}

func testVariableNotFound(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Variables: map[string]string{"present": "x"}})
	for _, key := range []string{"absent", "presen", "present_"} {
		_, err := lookup(ctx, b, resolver.KindVariable, key)
		errorIs(t, false, fmt.Sprintf("Variable(%q)", key), err, resolver.ErrNotFound)
		_, err = newResolver(b).Variable(ctx, key)
		errorIs(t, false, fmt.Sprintf("resolver lookup of variable %q", key), err, resolver.ErrNotFound)
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
	_, err := lookup(ctx, b, resolver.KindVariable, "only_conn")
	errorIs(t, false, `Variable("only_conn"), an id only a connection has`, err, resolver.ErrNotFound)
	_, err = connection(ctx, b, "only_var")
	errorIs(t, false, `connection lookup of "only_var", an id only a variable has`, err, resolver.ErrNotFound)
	_, err = lookup(ctx, b, resolver.KindConfig, "only_var")
	errorIs(t, false, `config lookup of "only_var", an id only a variable has`, err, resolver.ErrNotFound)
	_, err = lookup(ctx, b, resolver.KindConfig, "only_conn")
	errorIs(t, false, `config lookup of "only_conn", an id only a connection has`, err, resolver.ErrNotFound)
	if caps.Configs {
		_, err = lookup(ctx, b, resolver.KindVariable, "only_cfg")
		errorIs(t, false, `Variable("only_cfg"), an id only a config has`, err, resolver.ErrNotFound)
	}
}

func testConfig(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Configs: map[string]string{"sql_alchemy_conn": "postgresql://u:cfg-P4ss@db/airflow"}})
	v, err := lookup(ctx, b, resolver.KindConfig, "sql_alchemy_conn")
	noError(t, true, `Config("sql_alchemy_conn")`, err)
	equalSecret(t, false, `Config("sql_alchemy_conn")`, "postgresql://u:cfg-P4ss@db/airflow", v)

	s, err := newResolver(b).Config(ctx, "sql_alchemy_conn")
	noError(t, true, `resolver lookup of config "sql_alchemy_conn"`, err)
	equalSecret(t, false, `resolver lookup of config "sql_alchemy_conn"`, "postgresql://u:cfg-P4ss@db/airflow", s.Reveal())
	_, err = newResolver(b).Config(ctx, "absent")
	errorIs(t, false, `resolver lookup of config "absent"`, err, resolver.ErrNotFound)
}

func testConfigAbsent(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{Variables: map[string]string{"k": "v"}})
	_, err := newResolver(b).Config(ctx, "k")
	errorIs(t, false, `resolver lookup of config "k" from a backend without configs`, err, resolver.ErrNotFound)
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
	errorIs(t, false, "connection lookup with a canceled context", err, context.Canceled)
	_, err = lookup(ctx, b, resolver.KindVariable, "v")
	errorIs(t, false, "variable lookup with a canceled context", err, context.Canceled)

	r := newResolver(b)
	_, err = r.Connection(ctx, "c")
	errorIs(t, false, "resolver connection lookup with a canceled context", err, context.Canceled)
	notErrorIs(t, false, "resolver connection lookup with a canceled context", err, resolver.ErrNotFound)
	_, err = r.Variable(ctx, "v")
	errorIs(t, false, "resolver variable lookup with a canceled context", err, context.Canceled)
}

// testTeamRequest: a request with a team is answered by a backend that
// does not scope secrets by team as the same request without one (the
// contract of resolver.Request.Team), and through a caching resolver a
// team's answer comes from its own lookup.
func testTeamRequest(t *testing.T, h Harness, _ Capabilities) {
	ctx := ctxFor(t)
	b := h.Backend(ctx, t, Seed{
		Connections: map[string]string{"smtp_default": uriValue},
		Variables:   map[string]string{"hello": "world"},
	})
	for _, team := range []string{"", "team_a", "team-b"} {
		v, err := b.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "hello", Team: team})
		noError(t, true, fmt.Sprintf("variable lookup of \"hello\" for team %q", team), err)
		equalSecret(t, false, fmt.Sprintf("variable lookup of \"hello\" for team %q", team), "world", v)
		_, err = b.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "absent", Team: team})
		errorIs(t, false, fmt.Sprintf("variable lookup of \"absent\" for team %q", team), err, resolver.ErrNotFound)
	}
	r := resolver.New(resolver.WithBackend("conformance", b), resolver.WithCache(time.Hour, 0))
	want := mustParse(t, "smtp_default", uriValue)
	for _, team := range []string{"team_a", "", "team_a"} {
		got, err := r.LookupConnection(ctx, resolver.Request{ID: "smtp_default", Team: team})
		what := fmt.Sprintf("cached resolver lookup of connection \"smtp_default\" for team %q", team)
		noError(t, true, what, err)
		assertSameConnection(t, what, want, got)
	}
}
