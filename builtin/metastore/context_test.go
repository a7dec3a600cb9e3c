package metastore

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/resolver"
)

// holdTables locks the connection and variable tables of h's database
// through a connection of its own, as another writer would: SQLite's
// BEGIN EXCLUSIVE (on a file not in WAL mode, readers wait for it too),
// PostgreSQL's LOCK TABLE ... IN ACCESS EXCLUSIVE MODE in an open
// transaction, MariaDB's LOCK TABLES ... WRITE. It returns the function
// that releases the lock, also run when t ends.
func holdTables(t *testing.T, h *Store) (release func()) {
	t.Helper()
	ctx := context.Background()
	db, _, err := h.conn(ctx, false)
	require.NoError(t, err)
	c, err := db.Conn(ctx)
	require.NoError(t, err)
	var take []string
	var undo string
	switch h.t.d {
	case dialectSQLite:
		take, undo = []string{"BEGIN EXCLUSIVE"}, "ROLLBACK"
	case dialectPostgres:
		take, undo = []string{"BEGIN", "LOCK TABLE connection, variable IN ACCESS EXCLUSIVE MODE"}, "ROLLBACK"
	default:
		take, undo = []string{"LOCK TABLES connection WRITE, variable WRITE"}, "UNLOCK TABLES"
	}
	for _, q := range take {
		_, err := c.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			_, err := c.ExecContext(ctx, undo)
			assert.NoError(t, err, undo)
			c.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// contextCalls are the lookups a stall test runs: single and batch, of
// both kinds, of ids the database holds.
func contextCalls(s *Store) []struct {
	name string
	call func(ctx context.Context) error
} {
	batch := func(kind resolver.Kind, prefix string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			reqs := batchRequests(kind, prefix, "", 3)
			answers := make([]resolver.Answer, len(reqs))
			s.LookupBatch(ctx, reqs, answers)
			// Every answer must carry the context's error: return the
			// first that does not, if any.
			for _, a := range answers {
				if !errors.Is(a.Err, context.Canceled) {
					return a.Err
				}
			}
			return answers[0].Err
		}
	}
	return []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Connection", func(ctx context.Context) error {
			_, err := s.Connection(ctx, connReq("conn_1"))
			return err
		}},
		{"Lookup of a connection", func(ctx context.Context) error {
			_, err := s.Lookup(ctx, connReq("conn_1"))
			return err
		}},
		{"Lookup of a variable", func(ctx context.Context) error {
			_, err := s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "var_1"})
			return err
		}},
		{"LookupBatch of connections", batch(resolver.KindConnection, "conn_")},
		{"LookupBatch of variables", batch(resolver.KindVariable, "var_")},
	}
}

// TestLookupEndsWithContextOnLockedTables: a lookup (single or batch)
// waiting for a lock another connection holds on the tables returns
// context.Canceled once its context is cancelled (at 50 ms), on every
// database: SQLite's busy wait (busy_timeout is 30 s) ends with the
// context, as pgx's and go-sql-driver/mysql's queries do.
func TestLookupEndsWithContextOnLockedTables(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			dsn := db.dsn(t)
			s := openStore(t, dsn, testKey)
			seedNumbered(t, s, 3)
			_, err := s.Connection(t.Context(), connReq("conn_1")) // connected, statements prepared
			require.NoError(t, err)
			release := holdTables(t, openStore(t, dsn, testKey))
			for _, c := range contextCalls(s) {
				t.Run(c.name, func(t *testing.T) {
					kittest.EndsWithContext(t, c.name, c.call)
				})
			}
			release()
			for _, c := range contextCalls(s) {
				assert.NoError(t, c.call(t.Context()), "%s once the lock is released", c.name)
			}
		})
	}
}

// TestLookupEndsWithContextWaitingForConnect: a lookup waiting for
// another that is stuck connecting (its first query waits for a lock on
// the tables) gives up when its context is cancelled, instead of waiting
// for the other to finish; the other finishes once the lock is released.
func TestLookupEndsWithContextWaitingForConnect(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			dsn := db.dsn(t)
			seedNumbered(t, openStore(t, dsn, testKey), 3)
			release := holdTables(t, openStore(t, dsn, testKey))

			s := openStore(t, dsn, testKey) // not connected yet
			first := make(chan error, 1)
			go func() {
				_, err := s.Connection(context.Background(), connReq("conn_1"))
				first <- err
			}()
			// Wait (not timed: a bound against a hang) until the first
			// lookup holds the connect lock.
			for deadline := time.Now().Add(10 * time.Second); len(s.openLock) == 0; time.Sleep(time.Millisecond) {
				require.True(t, time.Now().Before(deadline), "the first lookup never took the connect lock")
			}
			for _, c := range contextCalls(s) {
				t.Run(c.name, func(t *testing.T) {
					got := make(chan error, 1)
					kittest.EndsWithContext(t, c.name, func(ctx context.Context) error {
						err := c.call(ctx)
						got <- err
						return err
					})
					// It gave up waiting for the lock, not in a query.
					assert.ErrorContains(t, <-got, "waiting for another call connecting", c.name)
				})
			}
			release()
			select {
			case err := <-first:
				assert.NoError(t, err, "the first lookup, once the lock is released")
			case <-time.After(10 * time.Second):
				t.Fatal("the first lookup did not return 10 s after the lock was released")
			}
		})
	}
}

// TestLookupNotBlockedInWAL: the embedded default database is in WAL
// mode, where a writer's lock (even BEGIN EXCLUSIVE) does not stop
// readers: a lookup, also one that opens the store's first connection
// meanwhile, answers.
func TestLookupNotBlockedInWAL(t *testing.T) {
	dir := t.TempDir()
	open := func() *Store {
		s, err := Open(Options{Dir: dir})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	}
	seedNumbered(t, open(), 3)
	holdTables(t, open())
	for _, c := range contextCalls(open()) {
		err := kittest.Returns(t, func() error { return c.call(t.Context()) })
		assert.NoError(t, err, c.name)
	}
}

// TestLookupEndsWithContextOnSilentServer: a server that accepts the
// connection and never answers (a hung PostgreSQL or MariaDB) holds a
// lookup's first connection only until its context is cancelled.
func TestLookupEndsWithContextOnSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	addr := ln.Addr().String()
	for _, dsn := range []string{
		"postgresql://u@" + addr + "/db?sslmode=disable",
		"mysql://u@" + addr + "/db",
	} {
		s := openStore(t, dsn, "")
		for _, c := range contextCalls(s) {
			t.Run(s.Dialect()+"/"+c.name, func(t *testing.T) {
				kittest.EndsWithContext(t, c.name, c.call)
			})
		}
	}
}

// TestRetireUnderLookups: lookups (single and batch) running while
// migrations retire the statements they hold never find them closed:
// release takes no lock, and of release and retire the last one closes.
func TestRetireUnderLookups(t *testing.T) {
	ctx := t.Context()
	s := openTeamStore(t, sqliteDSN(t), true, testKey)
	seedNumbered(t, s, 3)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, c := range slices.Repeat(contextCalls(s), 20) {
				assert.NoError(t, c.call(ctx), c.name)
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			assert.NoError(t, s.Migrate(ctx))
		}
	})
	wg.Wait()
}
