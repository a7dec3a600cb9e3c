// Package resolver resolves Airflow connections and variables through an
// ordered search path of secrets backends.
//
// A [Resolver] asks each configured [Backend] in order and returns the first
// answer. A backend that does not hold an id returns [ErrNotFound] and the
// search goes on; any other error is logged with the backend's name only and
// the search goes on too, as in Airflow 2.2 and later. When no tier answers, the
// returned error matches [ErrNotFound] and carries every tier's error.
//
// Backends return raw values: an Airflow connection URI or Airflow's JSON
// form. The resolver parses them once ([ParseConnection]), caches them when
// asked to, and hands out values whose secrets print as "***" ([Secret],
// [Connection]).
//
// This package knows no concrete backend. Backends live in their own packages,
// import this one and call [Register] from an init function; the root package
// secretpath assembles the default search path from a config file.
package resolver
