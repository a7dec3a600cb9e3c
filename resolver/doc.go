// Package resolver resolves Airflow connections, variables and config
// values through an ordered search path of secrets backends.
//
// A [Resolver] asks each [Backend] in order and returns the first answer.
// Every lookup is a [Request]: a kind, an id and an Airflow 3 team. A
// backend that does not hold an id returns [ErrNotFound] and the search
// goes on; any other error is logged with the backend's name only and the
// search goes on too, as in Airflow 2.2 and later. When no tier answers,
// the returned error matches [ErrNotFound] and carries every tier's error;
// [Code] classifies any error (package resolver/codes).
//
// Backends return raw values: an Airflow connection URI or Airflow's JSON
// form. The resolver parses them once (package resolver/connection),
// caches them per kind, id and team when asked to, and hands out values
// whose secrets print as "***" (connection.Secret, connection.Connection).
//
// This package knows no concrete backend. Backends live in their own
// packages, import this one and [Register] from an init function, some for a
// [Role] of Airflow's search path (environment variables, the metastore).
// [Open] assembles the search path a config file describes (package
// resolver/config) from the registered backends; the root package
// secretpath links them all.
package resolver
