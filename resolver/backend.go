package resolver

import (
	"context"
	"time"

	"github.com/secretpath/secretpath/resolver/connection"
)

// Request is one lookup: what a [Backend] is asked for. New fields may be
// added; a backend must look up only what it understands and treat the
// zero value of a field it does not know as "no constraint".
type Request struct {
	// Kind is what is looked up: a connection, a variable or a config value.
	Kind Kind
	// ID is the connection id, variable key or config key.
	ID string
	// Team is the Airflow 3 team the lookup is for ("" for none). The
	// resolver caches answers per team, so one team's answer is never
	// served to another. Backends that do not scope secrets by team look
	// the id up as if Team were "".
	Team string
}

// Backend is a source of connections, variables and configs: one tier of
// the search path. A backend only fetches; parsing, caching, redaction and
// fall-through are the resolver's.
//
// Lookup returns the raw value for req: a connection as an Airflow
// connection URI or Airflow's JSON form (first non-blank character '{'),
// a variable's or config's value as is. It returns an error wrapping
// ErrNotFound when the backend does not hold the id or does not serve that
// kind (the search goes on), or another error (logged by name, and the
// search goes on unless fail-closed applies). Only the tiers set with
// [WithBackend] are asked for configs.
//
// Lookup must be safe for concurrent use and should return promptly with
// ctx.Err() once ctx is done. Errors must never contain a secret value.
//
// A backend that keeps that promise in every case declares it with a
// method HonoursContext() bool returning true: Lookup (and Connection, for
// a [ConnectionBackend]) returns promptly, with ctx.Err() or an error
// wrapping it, once ctx is done, in every code path, including waits for
// a lock, a token refresh, a retry's back-off or a reload that another
// lookup started. A wrapper answers for the backend it wraps. The resolver
// asks once, in [New], so the answer must not change.
//
// What it changes: on a cache miss the resolver runs the search once for
// every concurrent caller of the key. When every tier the search asks
// declares the promise, the first caller runs the search in its own
// goroutine with its own ctx; if that ctx ends, the search ends with its
// error, which is not cached, and the callers that joined search again
// (one of them leads) unless their own ctx ended too. Without the
// promise, the search runs in a worker goroutine with the first caller's
// values but not its cancellation, so that every caller still leaves as
// soon as its own ctx ends even if a backend never returns: that hand-off
// costs ~2 µs and two allocations per miss when the caller's ctx can end.
// Declaring the promise falsely breaks that guarantee: a caller whose ctx
// ended waits for the backend.
type Backend interface {
	Lookup(ctx context.Context, req Request) (string, error)
}

// contextHonouring is a backend's promise to return once ctx is done (see
// [Backend]).
type contextHonouring interface {
	HonoursContext() bool
}

// ConnectionBackend is implemented by backends that hold connections as
// fields rather than as one string (a Vault secret without conn_uri, a
// local file already parsed). The resolver calls it instead of Lookup for
// connections. The returned Connection is the caller's to keep.
type ConnectionBackend interface {
	Connection(ctx context.Context, req Request) (connection.Connection, error)
}

// Named is implemented by backends that know their name, used in logs and
// errors. Other backends are named by their registry name or Go type.
type Named interface {
	Name() string
}

// Describer is implemented by backends that can say where they look req
// up, for [Resolver.Explain]: a remote secret name, a path, an environment
// variable, a file and key. It must not do I/O or reveal a value. A
// backend that does not look up that kind (its prefix is switched off)
// says so, e.g. "(variables_prefix is null: no request)".
type Describer interface {
	Describe(req Request) string
}

// BatchBackend is implemented by backends that look many ids up in fewer
// round trips than one per id: SSM GetParameters (10 names a request),
// Secrets Manager BatchGetSecretValue (20), one SQL query with IN, one
// reload check of a file. A batch lookup ([Resolver.LookupMany],
// [Resolver.Connections], [Resolver.Variables], [Resolver.Prefetch]) calls
// LookupBatch, instead of Lookup once per id, for the ids no earlier tier
// answered; other backends are asked one id at a time, a few at once.
//
// Every request in reqs has the same Kind and Team, no ID appears twice,
// and len(answers) == len(reqs). LookupBatch sets answers[i] to the answer
// to reqs[i], exactly what Lookup (or, for a [ConnectionBackend] asked for
// connections, Connection) would answer: a value, or an error wrapping
// ErrNotFound when the backend does not hold the id, or another error,
// which may be the same error for every id when the whole call failed. It
// splits reqs into as many calls as the store's limits require. It must be
// safe for concurrent use and follows Lookup's rules on ctx (a backend's
// HonoursContext promise covers LookupBatch too) and on errors, which
// never contain a secret value.
type BatchBackend interface {
	LookupBatch(ctx context.Context, reqs []Request, answers []Answer)
}

// Answer is a [BatchBackend]'s answer to one request.
type Answer struct {
	// Value is the raw value, as Lookup returns it, when Err is nil and
	// Fields is false.
	Value string
	// Conn is the connection when Fields is true: a ConnectionBackend
	// answering a connection request with the fields it holds, as its
	// Connection method would return them (the caller's to keep).
	Conn   connection.Connection
	Fields bool
	// Err is the lookup's error: one wrapping ErrNotFound when the
	// backend does not hold the id.
	Err error
	// Expires is when the value stops being valid, as the store says (a
	// secret's expiry or next rotation); zero when unknown. A cached
	// answer is dropped then, even if its TTL has not passed, and never
	// served stale past it. A value whose expiry had already passed when
	// it was read is cached for a minute at most (within its TTL), so that
	// a forgotten expiry date does not send every lookup to the store.
	Expires time.Time
}

// AnswerBackend is implemented by backends that can say more than a value
// (when it expires: [Answer.Expires]). The resolver calls Answer instead
// of Lookup, and instead of Connection for a [ConnectionBackend]; its
// answer follows the rules of those methods and of [BatchBackend]'s
// answers (Fields set for a ConnectionBackend's connection).
type AnswerBackend interface {
	Answer(ctx context.Context, req Request) Answer
}
