package metastore

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/secretpath/secretpath/resolver/config"
)

// target is a parsed DSN: the dialect and what database/sql opens. source
// may hold a password: it is never printed.
type target struct {
	d      *dialect
	source string
	// path is the SQLite file ("" for an in-memory database, or a Go DSN
	// whose file we do not look at).
	path   string
	memory bool
}

// settingError is a problem with the value of a setting (sql_alchemy_conn,
// fernet_key). It matches config.ErrInvalid, and its message never holds
// the value, which may be (or hold) a secret.
type settingError struct {
	// where the value was set, as config.File.Sensitive says
	// ("airflow.cfg:12", "env AIRFLOW__CORE__FERNET_KEY"); "" when it was
	// given in Go (Options).
	where   string
	setting string // "sql_alchemy_conn" or "fernet_key"
	reason  string
}

// Error starts with where the value was set, as config errors do, else
// with "configuration error".
func (e *settingError) Error() string {
	lead := e.where
	if lead == "" {
		lead = config.ErrInvalid.Error()
	}
	return lead + ": metastore: " + e.setting + ": " + e.reason
}

// Unwrap returns config.ErrInvalid.
func (e *settingError) Unwrap() error { return config.ErrInvalid }

// settingAt returns err naming where as the place its setting was set,
// when err is a settingError not placed yet and where is known.
func settingAt(err error, where string) error {
	var se *settingError
	if where == "" || !errors.As(err, &se) || se.where != "" {
		return err
	}
	placed := *se
	placed.where = where
	return &placed
}

// errDSN is a DSN problem. Its messages never contain the DSN, which may
// hold a password.
func errDSN(format string, args ...any) error {
	return &settingError{setting: "sql_alchemy_conn", reason: fmt.Sprintf(format, args...)}
}

// parseDSN reads [database] sql_alchemy_conn: an SQLAlchemy URL
// (sqlite:///path, postgresql[+driver]://..., mysql[+driver]://...,
// mariadb[+driver]://...) or a Go DSN (file:path for SQLite, a
// "key=value ..." string for pgx, "user:pass@tcp(host:port)/db" for
// go-sql-driver/mysql).
func parseDSN(s string) (target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return target{}, errDSN("empty")
	}
	scheme, rest, isURL := strings.Cut(s, "://")
	if !isURL {
		return parseGoDSN(s)
	}
	dialectName, _, _ := strings.Cut(strings.ToLower(scheme), "+")
	switch dialectName {
	case "sqlite":
		return parseSQLiteURL(rest)
	case "postgresql", "postgres":
		if _, err := url.Parse("postgres://" + rest); err != nil {
			return target{}, errDSN("not a valid postgresql:// URL")
		}
		// pgx (like libpq) ends the user and password at the first "@",
		// SQLAlchemy and Go's url package at the last: with two, part of
		// the password would become the host name (and show in errors).
		if userHost, _, _ := strings.Cut(rest, "/"); strings.Count(userHost, "@") > 1 {
			return target{}, errDSN(`a raw "@" in a postgresql:// URL's user or password is ambiguous: percent-encode it as %%40`)
		}
		return target{d: dialectPostgres, source: "postgres://" + rest}, nil
	case "mysql", "mariadb":
		return parseMySQLURL(rest)
	}
	return target{}, errDSN("unsupported scheme %q: use sqlite:///PATH, postgresql://..., mysql://... or a Go DSN", scheme)
}

// parseSQLiteURL reads the part of sqlite:///path after "sqlite://":
// "" is an in-memory database, "/rel.db" a relative path, "//abs.db" an
// absolute one, as in SQLAlchemy. Query options: timeout (seconds, as
// pysqlite's) and check_same_thread (ignored).
func parseSQLiteURL(rest string) (target, error) {
	path, query, _ := strings.Cut(rest, "?")
	busy := defaultBusyTimeoutMS
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return target{}, errDSN("sqlite query is not valid")
		}
		for k, vs := range q {
			switch k {
			case "timeout":
				f, err := strconv.ParseFloat(vs[len(vs)-1], 64)
				if err != nil || f < 0 || f > 86400 {
					return target{}, errDSN("sqlite option timeout must be a number of seconds")
				}
				busy = int(f * 1000)
			case "check_same_thread":
			default:
				return target{}, errDSN("unknown sqlite option %q", k)
			}
		}
	}
	switch {
	case path == "" || path == "/" || path == "/:memory:":
		return target{d: dialectSQLite, memory: true, source: "file::memory:?" + sqlitePragmas(busy, false)}, nil
	case !strings.HasPrefix(path, "/"):
		return target{}, errDSN("a sqlite URL has three slashes before a relative path and four before an absolute one")
	}
	p, err := url.PathUnescape(path[1:])
	if err != nil {
		return target{}, errDSN("sqlite path is not validly %%-encoded")
	}
	return sqliteFile(p, busy, false), nil
}

// defaultBusyTimeoutMS is how long an SQLite statement waits for another
// writer's lock before it fails.
const defaultBusyTimeoutMS = 30_000

func sqlitePragmas(busyMS int, wal bool) string {
	s := "_pragma=busy_timeout(" + strconv.Itoa(busyMS) + ")&_txlock=immediate"
	if wal {
		s += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	return s
}

// sqliteFile is the target for an SQLite file. wal switches the file to
// write-ahead logging (a persistent change, made only to our own default
// database, never to a file the user named).
func sqliteFile(path string, busyMS int, wal bool) target {
	u := url.URL{Scheme: "file", Opaque: escapeSQLitePath(path), RawQuery: sqlitePragmas(busyMS, wal)}
	return target{d: dialectSQLite, path: path, source: u.String()}
}

// escapeSQLitePath escapes what would end the path in a file: URI.
func escapeSQLitePath(p string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")
	return r.Replace(p)
}

// parseMySQLURL turns the part of mysql://user:pass@host:port/db?opts after
// the scheme into a go-sql-driver DSN. Options: charset, unix_socket,
// connect_timeout (seconds); anything else is an error naming it.
func parseMySQLURL(rest string) (target, error) {
	u, err := url.Parse("mysql://" + rest)
	if err != nil {
		return target{}, errDSN("not a valid mysql:// URL")
	}
	cfg := mysql.NewConfig()
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	host := u.Hostname()
	if host == "" {
		host = "localhost"
	}
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(host, port)
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if cfg.DBName == "" {
		return target{}, errDSN("a mysql URL must name a database")
	}
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "charset":
			cfg.Params = map[string]string{"charset": v}
		case "unix_socket":
			cfg.Net, cfg.Addr = "unix", v
		case "connect_timeout":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return target{}, errDSN("mysql option connect_timeout must be a whole number of seconds")
			}
			cfg.Timeout = time.Duration(n) * time.Second
		default:
			return target{}, errDSN("unknown mysql option %q", k)
		}
	}
	return target{d: dialectMySQL, source: cfg.FormatDSN()}, nil
}

// parseGoDSN reads a DSN in a Go driver's own form.
func parseGoDSN(s string) (target, error) {
	switch {
	case strings.HasPrefix(s, "file:"):
		return target{d: dialectSQLite, source: s, memory: strings.Contains(s, ":memory:") || strings.Contains(s, "mode=memory")}, nil
	case strings.Contains(s, "@tcp(") || strings.Contains(s, "@unix(") || strings.Contains(s, "@/"):
		if _, err := mysql.ParseDSN(s); err != nil {
			return target{}, errDSN("not a valid go-sql-driver/mysql DSN")
		}
		return target{d: dialectMySQL, source: s}, nil
	case strings.Contains(s, "="):
		return target{d: dialectPostgres, source: s}, nil
	}
	return target{}, errDSN("not a DSN this build reads: use sqlite:///PATH, postgresql://..., mysql://..., file:PATH (SQLite), " +
		`"host=... dbname=..." (PostgreSQL) or "user:pass@tcp(host:port)/db" (MySQL)`)
}
