package resolver

import (
	"log/slog"
	"time"
)

// DefaultCacheTTL is Airflow's [secrets] cache_ttl_seconds default.
const DefaultCacheTTL = 900 * time.Second

// DefaultCacheSize is the most entries a cache holds unless told otherwise.
const DefaultCacheSize = 10_000

// Option configures a Resolver.
type Option func(*options)

type options struct {
	tiers      []tier // configured backends, in order
	fallbacks  []tier // env, metastore: after every configured backend
	logger     *slog.Logger
	cacheTTL   time.Duration
	cacheSize  int
	failClosed bool
	now        func() int64 // the cache's monotonic clock in nanoseconds; nil = real
}

// WithBackend appends a configured backend to the search path, named name
// in logs and errors ("" = its Name method, or its Go type). Configured
// backends are asked in the order given, before every fallback, and they
// alone answer Config lookups.
func WithBackend(name string, b Backend) Option {
	return func(o *options) { o.tiers = append(o.tiers, newTier(name, b)) }
}

// WithFallback appends a tier that is asked after every configured backend:
// the environment and the metastore in Airflow's search path. Fallbacks do
// not answer Config lookups.
func WithFallback(name string, b Backend) Option {
	return func(o *options) { o.fallbacks = append(o.fallbacks, newTier(name, b)) }
}

// WithLogger sets the logger for tier failures (default slog.Default()).
// Records name the backend, the kind and id looked up and the error; never a
// value.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithCache turns on the lookup cache: answers and "not found" outcomes are
// kept for ttl (Airflow's use_cache and cache_ttl_seconds; an entry expires
// once it is older than ttl), at most maxEntries of them (<= 0 means
// DefaultCacheSize), and concurrent misses on one key make one backend call.
// A ttl <= 0 leaves the cache off.
func WithCache(ttl time.Duration, maxEntries int) Option {
	return func(o *options) {
		o.cacheTTL = ttl
		o.cacheSize = maxEntries
	}
}

// WithFailClosed makes a backend's permission-denied error (one matching
// ErrPermissionDenied) stop the search and be returned, instead of being
// logged and skipped.
func WithFailClosed() Option {
	return func(o *options) { o.failClosed = true }
}
