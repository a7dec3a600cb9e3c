package metastore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
)

// cachedResolver is a resolver with a 1 h cache over s, as a long-running
// process would have.
func cachedResolver(t testing.TB, s *Store) *resolver.Resolver {
	t.Helper()
	r := resolver.New(resolver.WithFallback("metastore", s), resolver.WithCache(time.Hour, 0))
	t.Cleanup(func() { r.Close() })
	return r
}

// watched returns the value w's next answer holds.
func watched(t testing.TB, w *resolver.Watcher) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), eventually)
	defer cancel()
	res, err := w.Watch(ctx)
	require.NoError(t, err, "the watcher saw no change")
	require.NoError(t, res.Err)
	return res.Value.Reveal()
}

// firstValue returns the value of w's next answer that is not an error:
// a database being created may be seen before its row is (the tables
// first, then the row: not found first).
func firstValue(t testing.TB, w *resolver.Watcher) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), eventually)
	defer cancel()
	for {
		res, err := w.Watch(ctx)
		require.NoError(t, err, "the watcher saw no value")
		if res.Err == nil {
			return res.Value.Reveal()
		}
	}
}

func varReq(key string) resolver.Request {
	return resolver.Request{Kind: resolver.KindVariable, ID: key}
}

// cachedValue is the resolver's (cached) answer for variable key.
func cachedValue(t testing.TB, r *resolver.Resolver, key string) string {
	t.Helper()
	v, err := r.Variable(t.Context(), key)
	require.NoError(t, err)
	return v.Reveal()
}

// TestChangesPostgres: with the notify trigger, a value changed by another
// process's connection reaches a Watcher, and a resolver whose cache would
// keep the old value for an hour answers the new one.
func TestChangesPostgres(t *testing.T) {
	ctx := t.Context()
	dsn := postgresDSN(t)
	writer := openStore(t, dsn, testKey)
	require.NoError(t, writer.SetVariable(ctx, "region", "eu-west-1", ""))
	require.NoError(t, writer.InstallNotify(ctx))

	reader := openStore(t, dsn, testKey)
	r := cachedResolver(t, reader)
	require.Equal(t, "eu-west-1", cachedValue(t, r, "region"))
	w := r.Watcher(varReq("region"))
	defer w.Close()
	require.Equal(t, "eu-west-1", watched(t, w))

	var lat []time.Duration
	for i, v := range []string{"us-east-1", "ap-south-1", "eu-north-1", "sa-east-1", "eu-west-1"} {
		require.NoError(t, writer.SetVariable(ctx, "region", v, "")) // returns after COMMIT
		committed := time.Now()
		require.Equal(t, v, watched(t, w), "change %d", i)
		lat = append(lat, time.Since(committed))
		assert.Equal(t, v, cachedValue(t, r, "region"), "the cached answer was dropped")
	}
	t.Logf("COMMIT to Watch returning (PostgreSQL NOTIFY, one process): %s", latencies(lat))
}

// latencies summarises durations: min, median, max.
func latencies(d []time.Duration) string {
	s := slices.Clone(d)
	slices.Sort(s)
	return fmt.Sprintf("min %s, median %s, max %s (n=%d)", s[0], s[len(s)/2], s[len(s)-1], len(s))
}

// TestChangesStreamBreak: the LISTEN connection is killed; a change the
// stream never reported (written with triggers off, as if while it was
// down) is seen all the same: the resolver drops the tier's answers and
// calls Changes again, which listens anew.
func TestChangesStreamBreak(t *testing.T) {
	ctx := t.Context()
	dsn := postgresDSN(t)
	s := openWatched(t, dsn, nil)
	require.NoError(t, s.SetVariable(ctx, "k", "one", ""))
	require.NoError(t, s.InstallNotify(ctx))
	r := cachedResolver(t, s)
	require.Equal(t, "one", cachedValue(t, r, "k"))
	w := r.Watcher(varReq("k"))
	defer w.Close()
	require.Equal(t, "one", watched(t, w))
	require.Eventually(t, func() bool { return s.listenPID.Load() != 0 }, eventually, 5*time.Millisecond)
	pid := s.listenPID.Load()

	admin := plainDB(t, dsn)
	c, err := admin.Conn(ctx)
	require.NoError(t, err)
	defer c.Close()
	// session_replication_role = replica: no trigger fires, no NOTIFY.
	for _, q := range []string{"SET session_replication_role = replica", `UPDATE variable SET val = 'missed' WHERE "key" = 'k'`, "SET session_replication_role = DEFAULT"} {
		_, err := c.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	assert.Equal(t, "one", cachedValue(t, r, "k"), "no event: still the cached answer")

	var killed bool
	require.NoError(t, admin.QueryRowContext(ctx, "SELECT pg_terminate_backend($1) FROM pg_stat_activity WHERE pid = $1 AND application_name = $2", pid, listenAppName).Scan(&killed))
	require.True(t, killed, "the LISTEN connection (pid %d, application_name %s)", pid, listenAppName)
	assert.Equal(t, "missed", watched(t, w), "the watcher looked again after the break")
	assert.Equal(t, "missed", cachedValue(t, r, "k"), "the break dropped the cached answer")

	// The resync listens again, on a new connection: changes are pushed.
	require.Eventually(t, func() bool { p := s.listenPID.Load(); return p != 0 && p != pid }, eventually, 5*time.Millisecond)
	// The pid is known once LISTEN ran.
	require.NoError(t, s.SetVariable(ctx, "k", "after", ""))
	assert.Equal(t, "after", watched(t, w))
}

// TestChangesPolled: two stores on one database, as two processes; a write
// by one reaches a Watcher on the other by a poll: PRAGMA data_version on
// SQLite, CHECKSUM TABLE on MariaDB, the rows' digest on PostgreSQL without
// the notify trigger (which warns once).
func TestChangesPolled(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			ctx := t.Context()
			dsn := db.dsn(t)
			var log testutil.SyncBuffer
			writer := openWatched(t, dsn, nil)
			require.NoError(t, writer.SetVariable(ctx, "k", "one", ""))
			reader := openWatched(t, dsn, &log)
			r := cachedResolver(t, reader)
			require.Equal(t, "one", cachedValue(t, r, "k"))
			w := r.Watcher(varReq("k"))
			defer w.Close()
			require.Equal(t, "one", watched(t, w))
			for _, v := range []string{"two", "three"} {
				require.NoError(t, writer.SetVariable(ctx, "k", v, ""))
				assert.Equal(t, v, watched(t, w))
				assert.Equal(t, v, cachedValue(t, r, "k"))
			}
			require.NoError(t, writer.DeleteVariable(ctx, "k"))
			wctx, cancel := context.WithTimeout(ctx, eventually)
			defer cancel()
			res, err := w.Watch(wctx)
			require.NoError(t, err)
			assert.ErrorIs(t, res.Err, resolver.ErrNotFound, "the deletion is seen")
			if db.name == "postgres" {
				assert.Equal(t, 1, strings.Count(log.String(), "secretpath db install-notify"), "one warning: %s", log.String())
				assert.Contains(t, log.String(), "level=WARN")
			} else {
				assert.Empty(t, log.String())
			}
		})
	}
}

// TestChangesNotifyInstalledLater: a process polling because the trigger
// was missing switches to notifications once it is installed, and back to
// polling if it is removed; no change is missed on the way.
func TestChangesNotifyInstalledLater(t *testing.T) {
	ctx := t.Context()
	dsn := postgresDSN(t)
	var log testutil.SyncBuffer
	s := openWatched(t, dsn, &log)
	require.NoError(t, s.Migrate(ctx))
	ch := events(t, s)
	require.NoError(t, s.InstallNotify(ctx))
	require.Eventually(t, func() bool { return strings.Contains(log.String(), "changes are now pushed") }, eventually, 5*time.Millisecond)
	require.NoError(t, s.SetVariable(ctx, "k", "v", ""))
	for ev := next(t, ch, 1)[0]; ; ev = next(t, ch, 1)[0] { // skip the polls' All events
		if !ev.All {
			assert.Equal(t, resolver.Event{Kind: resolver.KindVariable, ID: "k"}, ev)
			break
		}
	}
	require.NoError(t, s.UninstallNotify(ctx))
	require.Eventually(t, func() bool { return strings.Count(log.String(), "secretpath db install-notify") == 2 }, eventually, 5*time.Millisecond, "warned again")
}

// TestChangesSQLiteDatabaseCreated: a process watching the default database
// before it exists sees the value another process's first write creates
// it with.
func TestChangesSQLiteDatabaseCreated(t *testing.T) {
	dir := t.TempDir()
	open := func() *Store {
		s, err := Open(Options{Dir: dir, SQLitePoll: 20 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	}
	reader := open()
	r := cachedResolver(t, reader)
	w := r.Watcher(varReq("k"))
	defer w.Close()
	wctx, cancel := context.WithTimeout(t.Context(), eventually)
	defer cancel()
	res, err := w.Watch(wctx)
	require.NoError(t, err)
	require.ErrorIs(t, res.Err, resolver.ErrNotFound, "no database yet")
	require.NoFileExists(t, reader.Path())

	require.NoError(t, open().SetVariable(t.Context(), "k", "created", ""))
	assert.Equal(t, "created", firstValue(t, w))
	assert.Equal(t, "created", cachedValue(t, r, "k"))
}

// TestChangesMemory: an in-memory database changes only through its store.
func TestChangesMemory(t *testing.T) {
	s := openWatched(t, "sqlite://", nil)
	r := cachedResolver(t, s)
	require.NoError(t, s.SetVariable(t.Context(), "k", "one", ""))
	w := r.Watcher(varReq("k"))
	defer w.Close()
	require.Equal(t, "one", watched(t, w))
	require.NoError(t, s.SetVariable(t.Context(), "k", "two", ""))
	assert.Equal(t, "two", watched(t, w))
}

// TestChangesStoreClosed: closing the store ends its stream and releases
// the LISTEN connection; Changes then waits for its context.
func TestChangesStoreClosed(t *testing.T) {
	ctx := t.Context()
	dsn := postgresDSN(t)
	s := openWatched(t, dsn, nil)
	require.NoError(t, s.Migrate(ctx))
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	established := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- s.Changes(cctx, nil, func(resolver.Event) {
			select {
			case established <- struct{}{}:
			default:
			}
		})
	}()
	select {
	case <-established:
	case <-time.After(eventually):
		t.Fatal("the stream was not established")
	}
	pid := s.listenPID.Load()
	admin := plainDB(t, dsn)
	alive := func() bool {
		var n int
		require.NoError(t, admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n))
		return n == 1
	}
	require.True(t, alive())
	require.NoError(t, s.Close())
	assert.Eventually(t, func() bool { return !alive() }, eventually, 10*time.Millisecond, "the LISTEN connection was closed")
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(eventually):
		t.Fatal("Changes did not return after its context ended")
	}
}

// TestChangesTablesCreated: a process watching a database whose tables do
// not exist yet sees the value another process's first write (which
// creates them) stores.
func TestChangesTablesCreated(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			dsn := db.dsn(t)
			reader := openWatched(t, dsn, nil)
			r := cachedResolver(t, reader)
			w := r.Watcher(varReq("k"))
			defer w.Close()
			wctx, cancel := context.WithTimeout(t.Context(), eventually)
			defer cancel()
			res, err := w.Watch(wctx)
			require.NoError(t, err)
			require.Error(t, res.Err, "no tables yet")
			require.NoError(t, openWatched(t, dsn, nil).SetVariable(t.Context(), "k", "created", ""))
			assert.Equal(t, "created", firstValue(t, w))
			assert.Equal(t, "created", cachedValue(t, r, "k"))
		})
	}
}
