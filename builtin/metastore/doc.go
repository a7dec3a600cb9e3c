// Package metastore is the third tier of the search path and the place
// where users write connections and variables: Airflow's metadata tables
// `connection` and `variable`, in an embedded SQLite file by default, in
// PostgreSQL for fleets, or in MySQL/MariaDB, with passwords, extras and
// variable values Fernet-encrypted as Airflow encrypts them. The same code
// reads an existing Airflow metadata database.
//
// Importing the package registers it as "metastore" (alias
// airflow.secrets.metastore.MetastoreBackend) for the database role:
// resolver.Open puts it last in the search path. Like Airflow's
// MetastoreBackend it takes no backend_kwargs (any is an error) and reads
// the config file instead: [database] sql_alchemy_conn (else the legacy
// [core] sql_alchemy_conn, else the embedded default), [core] fernet_key
// and [core] multi_team. A "_cmd" or "_secret" variant of either is refused, and an
// error about either names where it was set ("airflow.cfg:12", "env
// AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"), never its value. The registry
// builds a *Store, so a program that writes opens the one a config file
// describes with:
//
//	b, err := resolver.OpenBackend(ctx, metastore.Name, resolver.Env{Config: cfg})
//	if err != nil { ... }
//	s := b.(*metastore.Store)
//
// In Go, without a config file:
//
//	s, err := metastore.Open(metastore.Options{
//		DSN:       "postgresql://airflow:pw@db.example.com/airflow",
//		FernetKey: connection.NewSecret(fernetKey),
//	})
//	if err != nil { ... }
//	defer s.Close()
//	err = s.SetVariable(ctx, "region", "eu-west-1", "")
//
// # Databases
//
// Options.DSN is Airflow's [database] sql_alchemy_conn. SQLAlchemy URLs:
// sqlite:///relative.db, sqlite:////absolute.db, sqlite:// (in memory),
// postgresql[+driver]://user:pw@host:port/db?sslmode=... (any libpq
// option pgx knows; search_path selects a schema), and
// mysql[+driver]://user:pw@host:port/db?charset=...&unix_socket=... (also
// mariadb://). Go DSNs: file:path?... for SQLite (modernc.org/sqlite, no
// cgo), "host=... dbname=..." for PostgreSQL (pgx) and
// "user:pw@tcp(host:port)/db" for go-sql-driver/mysql.
//
// A PostgreSQL DSN is parsed by pgx when the store first connects; an
// error says what is wrong (and which setting) without quoting the DSN. A
// raw "@" in a postgresql:// URL's password is refused (pgx and SQLAlchemy
// split such a URL differently): percent-encode it as %40.
//
// Without a DSN the store is an SQLite file, metastore.db, in
// [DefaultDir] ($SECRETPATH_HOME, else the per-user data directory). The
// first write creates it, its tables and, when no fernet_key is
// configured, a key file fernet.key (mode 0600) beside it, so values are
// encrypted at rest by default; that key keeps opening older values when a
// fernet_key is configured later. Lookups never create anything: a
// database that does not exist yet holds nothing.
//
// # Schema and migrations
//
// The tables are Airflow's: connection (id, conn_id unique, conn_type,
// description, host, schema, login, password, port, is_encrypted,
// is_extra_encrypted, extra, team_name) and variable (id, key unique, val,
// description, is_encrypted, team_name), with Airflow's column types per
// database. Migrations are numbered, recorded in secretpath_migration,
// only add, and run under a lock (a write transaction on SQLite, an
// advisory lock on PostgreSQL, GET_LOCK on MySQL), so several processes'
// first writes do not collide. Migration 1 creates the tables; migration 2
// adds Airflow 3.2's team_name VARCHAR(50) NULL to both where it is
// missing (existing rows are of no team; Airflow's column also references
// its team table, which secretpath does not have, so ours has no foreign
// key; on MySQL/MariaDB the column is utf8mb4_bin). A database Airflow made
// (alembic_version exists) is used as it is: migrating it adds only
// secretpath_migration, and migration 2 is recorded without adding
// team_name, which is Airflow's to add (its own upgrade to 3.2 would fail
// on a column that exists). A database without team_name (secretpath's
// schema 1, or Airflow's before 3.2) keeps answering: every row is of no
// team. Whether a table has team_name is read from the database's
// catalogue; failing to read it is an error, never taken for "no column".
// While a table lacks it, lookups ask again at most every 5 seconds, so a
// process notices within 5 s that another one migrated, or that Airflow
// upgraded, and from then on filters by team.
//
// # Teams
//
// As newest Airflow's MetastoreBackend, with [core] multi_team on
// (Options.MultiTeam in Go; off by default), a lookup for a team
// (resolver.Request.Team) reads the row whose team_name is that team or
// NULL; conn_id and key are unique across teams, so there is at most one.
// A lookup without a team, or with multi_team off, reads rows of no team
// only. Team names compare byte for byte on every database (on MySQL and
// MariaDB as binary strings, whatever the column's collation, so neither
// case nor trailing spaces are ignored).
//
// Writes, lists and imports are team-less: they never set or change
// team_name, so a row they insert is of no team (give a row a team with
// Airflow), and Connections and Variables list rows of no team only. Ids
// are unique across teams: replacing or updating an id a team's row holds
// changes that row, which stays the team's, and deleting such an id
// deletes it.
//
// # Batches and cancellation
//
// The resolver's batch lookups (Resolver.LookupMany, Connections,
// Variables, Prefetch) reach the store's LookupBatch: one query per kind
// for up to 500 ids (conn_id IN (...)), each id answered exactly as its
// single lookup would be, team rules included. Every lookup, single or
// batch, returns with its context's error once the context ends, also
// while it waits for another connection's lock on the tables (SQLite's
// busy_timeout wait, a PostgreSQL or MySQL table lock) or for another
// lookup that is connecting: the store declares HonoursContext.
//
// # Change events
//
// A Store is a resolver.ChangeSource: a resolver with a cache, and every
// resolver.Watcher, learns of writes by any process (another secretpath,
// Airflow, plain SQL), so a long cache TTL does not keep old values.
// Changes runs while the resolver needs it, and ends when the Store is
// closed. How it learns depends on the database:
//
//   - PostgreSQL: pushed. `secretpath db install-notify` (Store.InstallNotify)
//     creates, once per database, trigger functions and AFTER INSERT OR
//     UPDATE OR DELETE (and TRUNCATE) triggers named secretpath_notify* on
//     both tables; each row written sends, at COMMIT, pg_notify on the
//     channel secretpath_changes with {"kind","id","team","schema"} (never a
//     value; an id is at most 250 characters, far below NOTIFY's 8000-byte
//     payload limit). Changes LISTENs on a connection of its own (taken from
//     the pool, application_name secretpath_listen, never returned to it)
//     and drops exactly the answers of that id and team: 0.5 to 2 ms from
//     COMMIT to a Watcher's new value on loopback, in this process or
//     another. LISTEN needs a session of its own: through PgBouncer, use a
//     session-pooling DSN. Nothing installs the triggers but
//     that command: Airflow owns the schema. Without them, Changes logs a
//     warning (once per stream) and reads a digest of both tables' row ids
//     and xmins every Options.TablePoll (5 s) instead; it also checks every
//     TablePoll whether the triggers were installed or removed meanwhile,
//     and switches. The digest reads every row's header (about 20 ms of
//     server time for 11,000 rows; only the digest travels). `secretpath db check` says which. A lost LISTEN
//     connection (a server restart, pg_terminate_backend) ends the stream:
//     the resolver drops the tier's answers and listens again after a
//     back-off, so changes made meanwhile are seen too.
//   - SQLite: PRAGMA data_version every Options.SQLitePoll (1 s), on a
//     connection of its own; it changes whenever another connection or
//     process commits, and costs no table read. A default database that
//     does not exist yet is waited for.
//   - MySQL/MariaDB: CHECKSUM TABLE connection, variable every
//     Options.TablePoll (5 s). The server reads both tables whole for each
//     poll (about 3 ms for 11,000 rows on MariaDB 10.11; only two numbers
//     travel).
//
// A poll cannot tell which row changed: it drops all of the tier's cached
// answers (resolver.Event{All: true}), and a change is seen within one
// interval. The intervals are Go options only: Airflow's configuration has
// no such setting, and the metastore takes no backend_kwargs.
//
// # Encryption
//
// Options.FernetKey is [core] fernet_key: a comma list of URL-safe base64
// keys; the first encrypts, any decrypts (rotation). RotateFernetKey
// re-encrypts every encrypted value with the first key in one transaction.
// Tokens are Fernet (github.com/fernet/fernet-go), which Python's
// cryptography package, and so Airflow, reads and writes. Without any key,
// values are stored in clear with is_encrypted false, as Airflow does.
//
// # Writes
//
// Every write is one transaction. Concurrent writers, in one process or
// several, never lose an update; UpdateVariable is an atomic
// read-modify-write. Imports are one transaction: a failure, or the
// importing process being killed, leaves the database as it was.
//
// # Deliberate differences from Airflow
//
//   - A value that does not decrypt is an error (Airflow's Variable.get logs
//     and returns None, so the lookup silently misses).
//   - Tokens are checked with no time-to-live, as Airflow does; tokens
//     whose timestamp lies in the future are accepted.
//   - AddConnection refuses an existing id with an error, as `airflow
//     connections add` does; SetConnection replaces.
//   - A stored conn_id is returned as stored, even when Airflow's sanitiser
//     would refuse it.
package metastore
