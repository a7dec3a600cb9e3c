// Package kittest holds the tables every remote backend's tests share:
// the kwargs the kit reads (locations, lookup patterns, timeout, verify),
// the lookups that make no request, and the registration. Each backend's
// test runs them against its own wire-level fake with [Run]; what is its
// own (its names, its vendor's answers, its credentials) stays in its
// tests. Only tests import this package.
package kittest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
	"github.com/secretpath/secretpath/resolver/config"
)

// Backend is one remote backend, as its test drives it against its fake.
type Backend struct {
	// Name is the registered name; Aliases are Airflow's class paths.
	Name    string
	Aliases []string
	// Type is a value of the backend's Go type ((*awsssm.Backend)(nil)):
	// every name opens one.
	Type any

	// Open builds the backend registered as name (Name or an alias)
	// through the registry, as a config file does, from the kwargs that
	// reach the test's fake with kw added: a nil value is JSON null. It
	// closes what needs closing when t ends.
	Open func(t *testing.T, name string, kw map[string]any) (resolver.Backend, error)
	// Requests is how many requests the fake has received so far
	// (authentication included).
	Requests func() int
	// Put stores value under id for kind where the backend's default
	// location puts it.
	Put func(t *testing.T, kind resolver.Kind, id, value string)
	// Hang, when set, makes the fake leave every later request unanswered
	// (until the client gives up), for the Timeout table.
	Hang func(t *testing.T)

	// LocationSuffix makes the location kwargs: "_prefix" (connections_prefix,
	// ...) or Vault's "_path".
	LocationSuffix string
	// Patterns: the backend takes <kind>_lookup_pattern kwargs.
	Patterns bool
	// LocationLists: a location kwarg may be a list of locations tried in
	// order (Vault's paths); a list must then hold strings only.
	LocationLists bool
	// Timeout is the kwarg bounding a lookup ("timeout_seconds", Vault's
	// "timeout"); TimeoutMax its largest value.
	Timeout    string
	TimeoutMax float64
	// Verify is the TLS verification kwarg ("verify", Azure's
	// "connection_verify"), "" for none; VerifyRefusesEmpty: "" is an
	// error.
	Verify             string
	VerifyRefusesEmpty bool

	// Secrets must appear in no error: the credentials the fake's kwargs
	// hold.
	Secrets []string
}

// Run runs every shared table against b.
func Run(t *testing.T, b Backend) {
	t.Run("Registration", func(t *testing.T) { Registration(t, b) })
	t.Run("KwargErrors", func(t *testing.T) { KwargErrors(t, b) })
	t.Run("KwargsAccepted", func(t *testing.T) { KwargsAccepted(t, b) })
	t.Run("NoRequest", func(t *testing.T) { NoRequest(t, b) })
	if b.Patterns {
		t.Run("PatternMatches", func(t *testing.T) { PatternMatches(t, b) })
	}
	if b.Timeout != "" && b.Hang != nil {
		// Last: the fake answers nothing afterwards.
		t.Run("Timeout", func(t *testing.T) { Timeout(t, b) })
	}
}

// kinds are the kinds a remote backend serves, with their kwargs' stem.
var kinds = []struct {
	kind resolver.Kind
	stem string
}{
	{resolver.KindConnection, "connections"},
	{resolver.KindVariable, "variables"},
	{resolver.KindConfig, "config"},
}

// Registration: the backend is registered under its name with Airflow's
// class paths as aliases and a one-line doc, every one of those names
// opens it, and opening makes no request.
func Registration(t *testing.T, b Backend) {
	var reg *resolver.Registration
	for _, r := range resolver.Registered() {
		if r.Name == b.Name {
			reg = &r
		}
		for _, a := range b.Aliases {
			assert.True(t, r.Name == b.Name || !slices.Contains(r.Aliases, a), "alias %s of %s is %s's too", a, b.Name, r.Name)
		}
	}
	require.NotNil(t, reg, "%s is registered", b.Name)
	assert.ElementsMatch(t, b.Aliases, reg.Aliases, "Airflow's class paths are aliases")
	assert.NotEmpty(t, reg.Doc)
	assert.NotContains(t, reg.Doc, "\n", "Doc is one line")
	before := b.Requests()
	for _, name := range append([]string{b.Name}, b.Aliases...) {
		be, err := b.Open(t, name, nil)
		require.NoError(t, err, name)
		assert.IsType(t, b.Type, be, name)
		n, ok := be.(resolver.Named)
		require.True(t, ok, "%s: %T is resolver.Named", name, be)
		assert.Equal(t, b.Name, n.Name(), name)
	}
	assert.Equal(t, before, b.Requests(), "opening makes no request")
}

// kwargError is one refused kwarg: the error names want.
type kwargError struct {
	name string
	kw   map[string]any
	want []string
}

// KwargErrors: every kwarg the kit reads refuses a value of the wrong
// type or range with a configuration error that names the key (and never
// a credential); building a backend makes no request.
func KwargErrors(t *testing.T, b Backend) {
	var tests []kwargError
	for _, k := range kinds {
		key := k.stem + b.LocationSuffix
		tests = append(tests, kwargError{name: key + " not a string", kw: map[string]any{key: 3}, want: []string{key, "must be a string"}})
		if b.LocationLists {
			tests = append(tests, kwargError{name: key + " a list with a number", kw: map[string]any{key: []any{"a", 3}}, want: []string{key + "[1]", "must be a string"}})
		} else {
			tests = append(tests, kwargError{name: key + " a list", kw: map[string]any{key: []string{"a"}}, want: []string{key, "must be a string"}})
		}
		pattern := k.stem + "_lookup_pattern"
		if !b.Patterns {
			tests = append(tests, kwargError{name: pattern + " not taken", kw: map[string]any{pattern: "x"}, want: []string{"unknown backend_kwargs key(s): " + pattern}})
		}
	}
	if b.Patterns {
		tests = append(tests,
			kwargError{name: "bad pattern", kw: map[string]any{"connections_lookup_pattern": "(unclosed"}, want: []string{"connections_lookup_pattern", "is not a valid regular expression"}},
			kwargError{name: "RE2 has no lookahead", kw: map[string]any{"variables_lookup_pattern": "(?!x)"}, want: []string{"variables_lookup_pattern"}},
			kwargError{name: "pattern not a string", kw: map[string]any{"config_lookup_pattern": 5}, want: []string{"config_lookup_pattern", "must be a string"}})
	}
	if key := b.Timeout; key != "" {
		tests = append(tests,
			kwargError{name: "negative timeout", kw: map[string]any{key: -1}, want: []string{key}},
			kwargError{name: "timeout not a number", kw: map[string]any{key: "soon"}, want: []string{key, "must be a number"}},
			kwargError{name: "timeout NaN", kw: map[string]any{key: "NaN"}, want: []string{key}},
			kwargError{name: "timeout too long", kw: map[string]any{key: b.TimeoutMax * 2}, want: []string{key}})
	}
	if key := b.Verify; key != "" {
		tests = append(tests,
			kwargError{name: "verify not a boolean or path", kw: map[string]any{key: 3}, want: []string{key, "must be a boolean or"}},
			kwargError{name: "verify a list", kw: map[string]any{key: []string{"/ca.pem"}}, want: []string{key}},
			kwargError{name: "missing CA bundle", kw: map[string]any{key: "/nonexistent/ca.pem"}, want: []string{key, "/nonexistent/ca.pem"}})
		if b.VerifyRefusesEmpty {
			tests = append(tests, kwargError{name: "verify empty", kw: map[string]any{key: ""}, want: []string{key}})
		}
	}
	before := b.Requests()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.Open(t, b.Name, tt.kw)
			require.ErrorIs(t, err, config.ErrInvalid)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, s := range b.Secrets {
				assert.NotContains(t, err.Error(), s)
			}
		})
	}
	assert.Equal(t, before, b.Requests(), "building a backend makes no request")
}

// KwargsAccepted: the kit's kwargs in the forms Airflow and per-key
// environment overrides (always strings) give them build a backend that
// finds a value under the default location.
func KwargsAccepted(t *testing.T, b Backend) {
	b.Put(t, resolver.KindVariable, "accepted", "value")
	rows := []map[string]any{
		{"connections" + b.LocationSuffix: nil, "config" + b.LocationSuffix: nil},
		{"connections" + b.LocationSuffix: ""},
	}
	if b.Patterns {
		rows = append(rows, map[string]any{"connections_lookup_pattern": nil, "variables_lookup_pattern": nil, "config_lookup_pattern": ""})
	}
	if key := b.Timeout; key != "" {
		rows = append(rows, map[string]any{key: "2.5"}, map[string]any{key: 0}, map[string]any{key: nil}, map[string]any{key: 30})
	}
	for _, kw := range rows {
		be, err := b.Open(t, b.Name, kw)
		require.NoError(t, err, "%v", kw)
		got, err := be.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "accepted"})
		require.NoError(t, err, "%v", kw)
		assert.Equal(t, "value", got, "%v", kw)
	}
}

// NoRequest: a kind switched off, an empty id, an id a lookup pattern
// refuses, and a kind remote backends do not serve are not found, and no
// request is made (not even authentication).
func NoRequest(t *testing.T, b Backend) {
	type row struct {
		name string
		kw   map[string]any
		kind resolver.Kind
		id   string
	}
	var tests []row
	for _, k := range kinds {
		tests = append(tests,
			row{name: k.stem + " off", kw: map[string]any{k.stem + b.LocationSuffix: nil}, kind: k.kind, id: "prod_db"},
			row{name: k.stem + ": empty id", kind: k.kind, id: ""})
	}
	tests = append(tests,
		row{name: "kind 0 is not served", kind: 0, id: "prod_db"},
		row{name: "a kind after configs is not served", kind: resolver.KindConfig + 1, id: "prod_db"})
	if b.Patterns {
		tests = append(tests,
			row{name: "connection pattern refuses", kw: map[string]any{"connections_lookup_pattern": "prod_"}, kind: resolver.KindConnection, id: "dev_db"},
			row{name: "pattern anchored at the start", kw: map[string]any{"variables_lookup_pattern": "db"}, kind: resolver.KindVariable, id: "prod_db"},
			row{name: "config pattern refuses", kw: map[string]any{"config_lookup_pattern": "^sql"}, kind: resolver.KindConfig, id: "prod_db"},
			row{name: "pattern alternation stays anchored", kw: map[string]any{"connections_lookup_pattern": "a|db"}, kind: resolver.KindConnection, id: "prod_db"},
			row{name: "a pattern on a kind switched off", kw: map[string]any{"config" + b.LocationSuffix: nil, "config_lookup_pattern": "prod_"}, kind: resolver.KindConfig, id: "prod_db"})
	}
	for _, k := range kinds {
		b.Put(t, k.kind, "prod_db", "stored, never read")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be, err := b.Open(t, b.Name, tt.kw)
			require.NoError(t, err)
			before := b.Requests()
			_, err = be.Lookup(t.Context(), resolver.Request{Kind: tt.kind, ID: tt.id})
			require.ErrorIs(t, err, resolver.ErrNotFound)
			if d, ok := be.(resolver.Describer); ok {
				assert.Regexp(t, `^no request \(`, d.Describe(resolver.Request{Kind: tt.kind, ID: tt.id}), "Describe agrees")
			}
			assert.Equal(t, before, b.Requests(), "no request may be made")
		})
	}
}

// PatternMatches: an id a lookup pattern matches is looked up: the match
// ignores case and needs only a prefix of the id; an empty pattern lets
// every id through.
func PatternMatches(t *testing.T, b Backend) {
	b.Put(t, resolver.KindConnection, "Prod_DB", "mysql://h")
	b.Put(t, resolver.KindVariable, "prod_key", "v")
	be, err := b.Open(t, b.Name, map[string]any{
		"connections_lookup_pattern": "prod_",
		"variables_lookup_pattern":   "(?:PROD|dev)_",
		"config_lookup_pattern":      "",
	})
	require.NoError(t, err)
	for _, tt := range []struct {
		kind      resolver.Kind
		id, want  string
		wantFound bool
	}{
		{resolver.KindConnection, "Prod_DB", "mysql://h", true},
		{resolver.KindVariable, "prod_key", "v", true},
		{resolver.KindConfig, "anything", "", false},
	} {
		before := b.Requests()
		got, err := be.Lookup(t.Context(), resolver.Request{Kind: tt.kind, ID: tt.id})
		assert.Greater(t, b.Requests(), before, "%s %q is looked up", tt.kind, tt.id)
		if !tt.wantFound {
			assert.True(t, errors.Is(err, resolver.ErrNotFound), "%s %q: %v", tt.kind, tt.id, err)
			continue
		}
		require.NoError(t, err, "%s %q", tt.kind, tt.id)
		assert.Equal(t, tt.want, got)
	}
}

// Timeout: the timeout kwarg bounds a lookup of a service that does not
// answer, retries included; the error is the deadline's (not "not found",
// nor the service's unavailability) and names what Describe names; through
// a resolver the tier's failure is reported and the search goes on.
func Timeout(t *testing.T, b Backend) {
	be, err := b.Open(t, b.Name, map[string]any{b.Timeout: 0.3})
	require.NoError(t, err)
	b.Hang(t)
	req := resolver.Request{Kind: resolver.KindVariable, ID: "v"}
	start := time.Now()
	_, err = be.Lookup(t.Context(), req)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 10*time.Second, "bounded by the kwarg")
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the lookup's own timeout ended it")
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Equal(t, codes.DeadlineExceeded, resolver.Code(err))
	if d, ok := be.(resolver.Describer); ok {
		assert.Contains(t, err.Error(), d.Describe(req), "the error names what the lookup asked for")
	}

	r := resolver.New(resolver.WithBackend(b.Name, be))
	_, err = r.Variable(t.Context(), "v")
	var nf *resolver.NotFoundError
	require.ErrorAs(t, err, &nf)
	require.Len(t, nf.Errs, 1)
	assert.Equal(t, b.Name, nf.Errs[0].Tier)
}
