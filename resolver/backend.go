package resolver

import "context"

// Backend is a source of connections and variables: one tier of the search
// path. A backend only fetches; parsing, caching, redaction and fall-through
// are the resolver's.
//
// Each method returns the raw value, or an error wrapping ErrNotFound when the
// backend does not hold the id (the search goes on), or another error (logged
// by name, and the search goes on unless fail-closed applies). Methods must be
// safe for concurrent use and should return promptly with ctx.Err() once ctx
// is done. Errors must never contain a secret value.
type Backend interface {
	// ConnectionValue returns connection connID as an Airflow connection
	// URI or Airflow's JSON form (first non-blank character '{').
	ConnectionValue(ctx context.Context, connID string) (string, error)
	// Variable returns variable key's value.
	Variable(ctx context.Context, key string) (string, error)
}

// ConfigBackend is implemented by backends that serve Airflow config values
// (`[section] option_secret = key`). A backend without it holds no configs.
type ConfigBackend interface {
	Config(ctx context.Context, key string) (string, error)
}

// ConnectionBackend is implemented by backends that hold connections as
// fields rather than as one string (a Vault secret without conn_uri, a local
// file already parsed). The resolver calls it instead of ConnectionValue. The
// returned Connection is the caller's to keep.
type ConnectionBackend interface {
	Connection(ctx context.Context, connID string) (Connection, error)
}

// Named is implemented by backends that know their name, used in logs and
// errors. Other backends are named by their registry name or Go type.
type Named interface {
	Name() string
}

// Describer is implemented by backends that can say where they look an id
// up, for [Resolver.Explain]: a remote secret name, a path, an environment
// variable, a file and key. It must not do I/O or reveal a value. A
// backend that does not look up that kind (its prefix is switched off)
// says so, e.g. "(variables_prefix is null: no request)".
type Describer interface {
	Describe(kind Kind, id string) string
}
