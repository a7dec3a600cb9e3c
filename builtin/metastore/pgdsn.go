package metastore

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// openPostgres parses a PostgreSQL DSN with pgx (as libpq would, with the
// PG* environment variables, the service and password files) and returns a
// pool for it. pgx's parse errors quote the DSN with a best-effort
// redaction of the password that malformed input defeats, so they are
// reduced to the reason (see pgParseError).
func openPostgres(source string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(source)
	if err != nil {
		return nil, pgParseError(err)
	}
	return stdlib.OpenDB(*cfg), nil
}

// pgParseReasons maps pgx's parse problems, matched by prefix, to what we
// say instead: "it ..." of the string's syntax, else the setting at fault.
// Every reason is static text: none quotes the DSN, a key or a value.
var pgParseReasons = []struct{ prefix, reason string }{
	// Keyword/value syntax (the cause pgx wraps).
	{"forbidden NUL byte", "it contains a NUL byte"},
	{"unterminated quoted string", "it has an unterminated quoted value (a quote opened and never closed)"},
	{`missing "=" after`, `it has a word without "=" (quote a value holding spaces: key='a b')`},
	{"invalid keyword/value", `it is not a valid list of key=value settings`},
	// URL syntax.
	{`end of string reached when looking for matching "]"`, `it has a "[" host with no "]"`},
	{"IPv6 host address may not be empty", "it has an empty [] host"},
	{"unexpected character", `it has an unexpected character after a [host] (expected ":" or "/")`},
	{`missing key/value separator "="`, `it has a query parameter without "="`},
	{`extra key/value separator "="`, `it has a query parameter with more than one "="`},
	{"invalid percent-encoded token", "it has an invalid %-escape"},
	{"forbidden value %00", "it has a %00 escape"},
	{"unexpected spaces found", "it has a space inside a value (percent-encode it as %20)"},
	// Settings (pgx's own message, before any cause).
	{"invalid port", "port is not a valid port number"},
	{"could not match", "the number of ports does not match the number of hosts"},
	{"invalid connect_timeout", "connect_timeout is not a valid number of seconds"},
	{"invalid sslcertmode", "sslcertmode has an unknown value"},
	{"failed to configure TLS", "the TLS settings (sslmode, sslrootcert, sslcert, sslkey, sslpassword) cannot be applied"},
	{"failed to read service", "the service (service, servicefile) cannot be read"},
	{"unknown target_session_attrs", "target_session_attrs has an unknown value"},
	{"invalid min_protocol_version", "min_protocol_version has an unknown value"},
	{"invalid max_protocol_version", "max_protocol_version has an unknown value"},
	{"min_protocol_version cannot be greater", "min_protocol_version is greater than max_protocol_version"},
	{"unknown channel_binding", "channel_binding has an unknown value"},
	{"invalid require_auth", "require_auth has an unknown value"},
	{"cannot parse statement_cache_capacity", "statement_cache_capacity is not a whole number"},
	{"cannot parse description_cache_capacity", "description_cache_capacity is not a whole number"},
	{"invalid default_query_exec_mode", "default_query_exec_mode has an unknown value"},
	{"connection string key", "it has a setting that is not allowed"},
}

// pgParseError turns pgx's error for a DSN it cannot parse into ours: the
// reason, from pgParseReasons, never a piece of the DSN. pgx's message is
// read with the DSN removed; its cause (a syntax problem, which may quote
// the words around a malformed password) is matched, never shown.
func pgParseError(err error) error {
	var pce *pgconn.ParseConfigError
	if !errors.As(err, &pce) {
		// pgx.ParseConfig returns nothing else; say nothing of it.
		return errDSN("not a valid PostgreSQL connection string")
	}
	bare := *pce
	bare.ConnString = ""
	msgs := []string{strings.TrimPrefix(bare.Error(), "cannot parse ``: ")}
	if cause := errors.Unwrap(pce); cause != nil {
		msgs = []string{cause.Error(), msgs[0]} // the syntax problem first
	}
	for _, msg := range msgs {
		for _, r := range pgParseReasons {
			if strings.HasPrefix(msg, r.prefix) {
				return errDSN("not a valid PostgreSQL connection string: %s", r.reason)
			}
		}
	}
	return errDSN("not a valid PostgreSQL connection string")
}
