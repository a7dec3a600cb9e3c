package metastore

// HonoursContext reports that Lookup, Connection and LookupBatch return
// promptly, with an error wrapping ctx.Err(), once ctx is done (the
// resolver's promise: see resolver.Backend), so that the resolver runs a
// cache miss in the caller's goroutine. It holds on every database, and
// for every wait a lookup can make:
//
//   - for another lookup that is connecting, reading the catalogue or
//     preparing (the store's connect lock is taken with a select on ctx);
//   - for a connection from the pool (database/sql honours ctx), and for a
//     new one: pgx and go-sql-driver/mysql dial and handshake under ctx;
//     opening an SQLite file takes no lock;
//   - for a lock another connection holds on the tables: pgx and
//     go-sql-driver/mysql cancel the running query; modernc.org/sqlite
//     (v1.62) ends its busy_timeout wait (30 s by default) when ctx is
//     done, for a statement being prepared as for one running. A WAL
//     database (the embedded default) makes readers wait for no writer at
//     all.
//
// Each of these waits is tested on SQLite, PostgreSQL and MariaDB
// (context_test.go). Not covered: reading the embedded default database's
// fernet.key, a small local file, when no key is configured. Close and the
// end of Migrate wait without a context.
func (s *Store) HonoursContext() bool { return true }
