// Package backendtest is the conformance suite every secretpath backend
// passes: built-in, metastore, and WASM guests through the host.
//
// A backend's test supplies a Harness that builds the backend holding given
// data, then calls Run:
//
//	func TestConformance(t *testing.T) {
//		backendtest.Run(t, myHarness{})
//	}
//
// Run checks the backend directly and through a resolver.Resolver: found and
// not found for every kind, URI and JSON connection values, unusual ids and
// values, concurrent lookups, and context cancellation.
//
// The suite uses only the standard library and this module's resolver
// packages, so importing it adds no dependency to a backend's tests. Its
// failure messages say what was looked up, what was expected and what was
// got, but never print a value that may be a secret (passwords, raw
// connection values, variables, configs, extras): they give its length and
// where it first differs from the expected value instead.
package backendtest

import (
	"context"
	"testing"

	"github.com/secretpath/secretpath/resolver"
)

// Seed is the data a harness's backend must hold, and nothing else.
type Seed struct {
	Connections map[string]string // conn_id -> Airflow URI or JSON form
	Variables   map[string]string
	Configs     map[string]string // only when Capabilities.Configs
}

// Capabilities say what a backend can hold; the suite skips what it cannot.
type Capabilities struct {
	// Configs: the backend serves configs (lookups of resolver.KindConfig).
	Configs bool
	// JSONConnections: connections may be stored in Airflow's JSON form
	// (a .env file cannot hold them).
	JSONConnections bool
	// EmptyVariables: a variable may hold "" (a .env file cannot).
	EmptyVariables bool
	// MultilineValues: values may contain newlines.
	MultilineValues bool
	// CaseInsensitiveIDs: ids differing only in case are the same id
	// (environment variables are upper-cased).
	CaseInsensitiveIDs bool
	// RestrictedIDs: the service only holds ids made of letters, digits,
	// '-' and '_' (GCP Secret Manager's secret ids). The suite does not
	// store other ids; it checks that looking one up is a clean miss.
	RestrictedIDs bool
	// Mutable: the backend is written through the suite (the metastore);
	// the harness must implement MutableHarness.
	Mutable bool
}

// Mutator writes to a backend built by a MutableHarness. Values are what
// the backend returns: connection values are Airflow URIs or JSON forms.
// Deleting an absent id returns an error matching resolver.ErrNotFound.
type Mutator interface {
	SetConnection(ctx context.Context, connID, value string) error
	DeleteConnection(ctx context.Context, connID string) error
	SetVariable(ctx context.Context, key, value string) error
	DeleteVariable(ctx context.Context, key string) error
}

// MutableHarness is a Harness whose backends the suite can also write
// (Capabilities.Mutable).
type MutableHarness interface {
	Harness
	// Mutator returns the writer of b, a backend this harness built.
	Mutator(t *testing.T, b resolver.Backend) Mutator
}

// Harness builds backends for the suite.
type Harness interface {
	// Capabilities reports what the backend supports.
	Capabilities() Capabilities
	// Backend returns a backend holding exactly seed. It may register
	// cleanups with t.Cleanup; it fails the test with t.Fatal on error.
	Backend(ctx context.Context, t *testing.T, seed Seed) resolver.Backend
}

// Run runs the conformance suite against h.
func Run(t *testing.T, h Harness) {
	t.Helper()
	caps := h.Capabilities()
	for _, tc := range suite {
		// A case the backend cannot hold is left out, not skipped: a skip
		// means something is missing from the machine, and CI fails on it.
		if tc.needs != nil && !tc.needs(caps) {
			t.Logf("%s: not applicable to this backend's capabilities", tc.name)
			continue
		}
		t.Run(tc.name, func(t *testing.T) { tc.run(t, h, caps) })
	}
}
