package metastore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fernet/fernet-go"
	_ "github.com/go-sql-driver/mysql" // registers "mysql"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

// Name is the backend's registry name.
const Name = "metastore"

// Options configure a Store.
type Options struct {
	// DSN is [database] sql_alchemy_conn: an SQLAlchemy URL
	// (sqlite:////abs/path.db, postgresql://user:pw@host/db,
	// mysql://user:pw@host/db) or a Go driver DSN. "" means the embedded
	// default: an SQLite file in Dir.
	DSN string

	// FernetKey is [core] fernet_key: one key or a comma list (the first
	// encrypts, any decrypts). Empty: with the embedded default, a key kept
	// in Dir/fernet.key; with a DSN, values are stored in clear, as
	// Airflow does without a key.
	FernetKey connection.Secret

	// MultiTeam is Airflow's [core] multi_team: only then does a lookup
	// with a team (resolver.Request.Team) also see that team's rows.
	MultiTeam bool

	// Dir is the directory of the embedded default database; "" means
	// [DefaultDir]. When DefaultDir has none (no $HOME and no
	// $SECRETPATH_HOME), Open still succeeds: a search path that never
	// reaches the metastore works without a home directory, and the first
	// lookup or write fails saying why (a lookup's failure is logged as
	// the tier's, and the search goes on).
	Dir string

	// SQLitePoll is how often a change source (see Changes) on SQLite reads
	// PRAGMA data_version, which costs no table read; 0 means 1 s.
	SQLitePoll time.Duration

	// TablePoll is how often a change source reads the tables to see
	// whether they changed: CHECKSUM TABLE on MySQL/MariaDB, and on
	// PostgreSQL while the notify trigger is not installed (see
	// InstallNotify). Each poll reads both tables whole on the server;
	// 0 means 5 s.
	TablePoll time.Duration

	// Logger receives the store's own warnings (a PostgreSQL database
	// without the notify trigger); nil means slog.Default(). Records hold
	// no value.
	Logger *slog.Logger
}

// Default poll intervals (see Options).
const (
	defaultSQLitePoll = time.Second
	defaultTablePoll  = 5 * time.Second
)

// Store is the metastore: Airflow's connection and variable tables in
// SQLite, PostgreSQL or MySQL/MariaDB. It is a resolver.Backend (with the
// fast path resolver.ConnectionBackend) and also writes. It is safe for
// concurrent use, and several processes may share one database.
//
// A Store connects at its first use. Lookups never create anything: a
// default database that does not exist yet holds nothing. Writes create
// the database and its tables (migrations) when they are missing.
type Store struct {
	t        target
	dsnWhere string // where the DSN was set in a config file, "" if not
	keys     *fernetKeys
	dir      string // the default database's directory, "" with a DSN
	dirErr   error  // why the default database has no directory (no $HOME)
	fileKey  bool   // keys come from (or will be made in) dir/fernet.key
	// multiTeam: lookups with a team see its rows (Options.MultiTeam).
	multiTeam bool
	// openLock (capacity 1: held when full) guards db, q, checkedTeams
	// and closed. It is held across connecting, reading the catalogue
	// and preparing, so a lookup waits for it with lock, which gives up
	// when the lookup's context ends; where there is no context (Close)
	// it waits with lockWait.
	openLock chan struct{}
	db       *sql.DB // nil until connected
	q        *queries
	// keysMu guards keys, which the first write may create (ensureKeyFile)
	// and a lookup reads (keysNow). It is never held across a query, so a
	// lookup decrypting never waits for another that is connecting.
	keysMu sync.Mutex
	// checkedTeams is when the catalogue last said a table lacks
	// team_name (see recheckTeams); now is time.Now but in tests.
	checkedTeams time.Time
	now          func() time.Time
	closed       bool
	// batchQueries counts the queries LookupBatch runs (for tests).
	batchQueries atomic.Int64
	// sqlitePoll, tablePoll and logger: see Options.
	sqlitePoll, tablePoll time.Duration
	logger                *slog.Logger
	// writes counts this store's committed writes: the change source of
	// an in-memory database, which no other connection can write.
	writes atomic.Uint64
	// listenPID is the server process of the last PostgreSQL LISTEN
	// connection (for tests).
	listenPID atomic.Uint32
	// done is closed by Close: it ends the change streams.
	done chan struct{}
}

// Interface checks.
var (
	_ resolver.Backend           = (*Store)(nil)
	_ resolver.ConnectionBackend = (*Store)(nil)
	_ resolver.Named             = (*Store)(nil)
	_ resolver.ChangeSource      = (*Store)(nil)
)

// DatabaseFile and KeyFile are the names of the embedded default database
// and of its generated Fernet key, in [DefaultDir].
const (
	DatabaseFile = "metastore.db"
	KeyFile      = "fernet.key"
)

// Open returns a Store for o. It checks the DSN and the keys but does not
// connect: the first lookup or write does. Errors match config.ErrInvalid
// and never contain a password or a key.
//
// To open the Store a config file describes ([database] sql_alchemy_conn,
// [core] fernet_key), use the registry: resolver.OpenBackend(ctx, Name,
// resolver.Env{Config: cfg}) returns a *Store.
func Open(o Options) (*Store, error) {
	return openAt(o, "", "")
}

// openAt is Open for options read from a config file: dsnWhere and keyWhere
// say where o.DSN and o.FernetKey were set ("" when not from a file), and
// errors about them (also those found when the store connects) start there.
func openAt(o Options, dsnWhere, keyWhere string) (*Store, error) {
	s := &Store{dsnWhere: dsnWhere, multiTeam: o.MultiTeam, now: time.Now, openLock: make(chan struct{}, 1), done: make(chan struct{}),
		sqlitePoll: o.SQLitePoll, tablePoll: o.TablePoll, logger: o.Logger}
	if s.sqlitePoll <= 0 {
		s.sqlitePoll = defaultSQLitePoll
	}
	if s.tablePoll <= 0 {
		s.tablePoll = defaultTablePoll
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	var err error
	if o.DSN != "" {
		if s.t, err = parseDSN(o.DSN); err != nil {
			return nil, settingAt(err, dsnWhere)
		}
	} else {
		s.dir = o.Dir
		if s.dir == "" {
			if s.dir, err = DefaultDir(); err != nil {
				// Only an error if the store is used (see Options.Dir).
				s.dirErr = fmt.Errorf("metastore: the embedded default database has no directory: %w", err)
				s.t = target{d: dialectSQLite}
			}
		}
		if s.dir != "" {
			s.t = sqliteFile(filepath.Join(s.dir, DatabaseFile), defaultBusyTimeoutMS, true)
		}
	}
	if s.keys, err = parseFernetKeys(o.FernetKey.Reveal()); err != nil {
		return nil, settingAt(err, keyWhere)
	}
	if s.dir != "" {
		// The default database keeps its own key, which also opens what
		// was written before a fernet_key was configured.
		s.fileKey = true
		if k, err := readKeyFile(s.dir); err != nil {
			return nil, err
		} else if k != nil {
			if s.keys == nil {
				s.keys = &fernetKeys{}
			}
			s.keys.keys = append(s.keys.keys, k)
		}
	}
	return s, nil
}

// Name returns "metastore".
func (s *Store) Name() string { return Name }

// Dialect returns "sqlite", "postgres" or "mysql".
func (s *Store) Dialect() string { return s.t.d.name }

// Path returns the SQLite file ("" for other databases and in-memory ones).
func (s *Store) Path() string { return s.t.path }

// Close closes the connection pool and ends the change streams (see
// Changes).
func (s *Store) Close() error {
	s.lockWait()
	defer s.unlock()
	if !s.closed {
		close(s.done)
	}
	s.closed = true
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db, s.q = nil, nil
	return err
}

// errNoDatabase: the default database was never created. Lookups treat it
// as "holds nothing".
var errNoDatabase = errors.New("metastore: the database does not exist yet")

// conn returns the connection pool, connecting on first use. With create,
// a missing SQLite file (and its directory, and the default key) is
// created and missing tables are migrated; without, a missing SQLite file
// is errNoDatabase.
func (s *Store) conn(ctx context.Context, create bool) (*sql.DB, *queries, error) {
	return s.connect(ctx, create, false)
}

// connect is conn; with acquire, the statements returned are the caller's
// until it calls s.release.
func (s *Store) connect(ctx context.Context, create, acquire bool) (*sql.DB, *queries, error) {
	if err := s.lock(ctx); err != nil {
		return nil, nil, err
	}
	defer s.unlock()
	if s.closed {
		return nil, nil, errors.New("metastore: closed")
	}
	if s.dirErr != nil {
		return nil, nil, s.dirErr
	}
	if err := s.openPool(ctx, create); err != nil {
		return nil, nil, err
	}
	if err := s.recheckTeams(ctx); err != nil {
		return nil, nil, err
	}
	if s.q == nil {
		q, err := s.prepare(ctx, create)
		if err != nil {
			return nil, nil, err
		}
		s.q = q
	}
	if acquire {
		s.q.users.Add(1)
	}
	return s.db, s.q, nil
}

// pool returns the connection pool, connecting on first use, without
// looking at the tables: a change source watches a database whose tables
// may not exist yet. A missing SQLite file is errNoDatabase.
func (s *Store) pool(ctx context.Context) (*sql.DB, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.unlock()
	if s.closed {
		return nil, errors.New("metastore: closed")
	}
	if s.dirErr != nil {
		return nil, s.dirErr
	}
	if err := s.openPool(ctx, false); err != nil {
		return nil, err
	}
	return s.db, nil
}

// openPool sets s.db, connecting when it is nil (see conn for create). The
// caller holds openLock.
func (s *Store) openPool(ctx context.Context, create bool) error {
	if s.db == nil {
		if s.t.path != "" {
			if _, err := os.Stat(s.t.path); errors.Is(err, fs.ErrNotExist) {
				if !create {
					return errNoDatabase
				}
				if err := os.MkdirAll(filepath.Dir(s.t.path), 0o700); err != nil {
					return fmt.Errorf("metastore: creating the database directory: %w", err)
				}
			}
		}
		if create && s.fileKey {
			if err := s.ensureKeyFile(); err != nil {
				return err
			}
		}
		db, err := s.t.d.open(s.t.source)
		if err != nil {
			return settingAt(err, s.dsnWhere) // pgx found the DSN bad
		}
		if s.t.memory {
			db.SetMaxOpenConns(1) // every connection would be its own database
			db.SetConnMaxIdleTime(0)
			db.SetConnMaxLifetime(0)
		}
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return fmt.Errorf("metastore: connecting to the %s database: %w", s.t.d.name, err)
		}
		s.db = db
	}
	return nil
}

// keysNow returns the keys: the default database's key file may be created
// by the first write.
func (s *Store) keysNow() *fernetKeys {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	if s.fileKey && !s.keys.enabled() {
		// Another process may have created the database and its key
		// since this store was opened.
		if k, err := readKeyFile(s.dir); err == nil && k != nil {
			s.keys = &fernetKeys{keys: []*fernet.Key{k}}
		}
	}
	return s.keys
}

// ensureKeyFile creates dir/fernet.key when no key is configured at all.
func (s *Store) ensureKeyFile() error {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	if s.keys.enabled() {
		return nil
	}
	k, err := createKeyFile(s.dir)
	if err != nil {
		return err
	}
	s.keys = &fernetKeys{keys: []*fernet.Key{k}}
	return nil
}

// lock takes s.openLock, or returns an error wrapping ctx's once ctx is
// done: a lookup waiting for another that is connecting (or reading the
// catalogue, or preparing) waits no longer than its own context.
func (s *Store) lock(ctx context.Context) error {
	select {
	case s.openLock <- struct{}{}:
		return nil
	default:
	}
	select {
	case s.openLock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("metastore: waiting for another call connecting to the %s database: %w", s.t.d.name, ctx.Err())
	}
}

// lockWait takes s.openLock, however long that takes: for callers with no
// context.
func (s *Store) lockWait() { s.openLock <- struct{}{} }

// unlock releases s.openLock.
func (s *Store) unlock() { <-s.openLock }
