package metastore

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver/connection"
)

// restartClusterEnv names a PostgreSQL cluster that
// TestPostgresRestartUnderLoad may restart: "<version> <name> <port>", as
// pg_lsclusters shows it. .ci/run creates one with pg_createcluster; it
// must not be the cluster other tests use.
const restartClusterEnv = "SECRETPATH_TEST_PG_RESTART"

// TestPostgresRestartUnderLoad restarts a real PostgreSQL server
// (pg_ctlcluster restart: the server stops, dropping every connection, and
// starts again) while four goroutines look up through one Store, and shows
// that lookups recover on their own: no reopening, no process restart.
// Lookups that fail during the restart fail with an error that holds no
// value.
func TestPostgresRestartUnderLoad(t *testing.T) {
	spec := strings.Fields(os.Getenv(restartClusterEnv))
	if len(spec) != 3 {
		testutil.Missing(t, "a PostgreSQL cluster the test may restart: set %s=\"<version> <cluster> <port>\" (.ci/run creates one with pg_createcluster)", restartClusterEnv)
	}
	version, cluster, port := spec[0], spec[1], spec[2]
	base := "postgres://postgres@127.0.0.1:" + port + "/postgres?sslmode=disable&connect_timeout=5"
	startTime := func() time.Time {
		db, err := sql.Open("pgx", base)
		require.NoError(t, err)
		defer db.Close()
		var ts time.Time
		require.NoError(t, db.QueryRow("SELECT pg_postmaster_start_time()").Scan(&ts))
		return ts
	}
	admin := adminDB(t, "pgx", base, "the restartable PostgreSQL cluster at port "+port)
	schema := uniqueName()
	_, err := admin.Exec("CREATE SCHEMA " + schema)
	require.NoError(t, err)
	admin.Close()
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE") //nolint:errcheck
			db.Close()
		}
	})

	const secret = "Pl4nted-restart-pw"
	s, err := Open(Options{DSN: base + "&search_path=" + schema, FernetKey: connection.NewSecret(testKey)})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	c, err := connection.ParseURI("db", "postgres://app:"+secret+"@db.example:5432/app")
	require.NoError(t, err)
	require.NoError(t, s.SetConnection(ctx, c))
	before := startTime()

	var ok, failed atomic.Int64
	var leaked atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				got, err := s.Connection(lctx, connReq("db"))
				cancel()
				switch {
				case err != nil:
					failed.Add(1)
					if strings.Contains(err.Error(), secret) {
						leaked.Store(err.Error())
					}
					time.Sleep(20 * time.Millisecond)
				case got.Password.Reveal() != secret:
					leaked.Store("wrong value")
				default:
					ok.Add(1)
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // lookups under way, connections pooled
	okBefore := ok.Load()
	out, err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart", "--", "-m", "fast").CombinedOutput()
	require.NoError(t, err, "pg_ctlcluster restart: %s", out)

	// Recovery: every lookup from here succeeds once the pool has replaced
	// its dead connections. Wait for one success (a liveness bound, not a
	// timing assertion), then require a run of successes.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := s.Connection(ctx, connReq("db")); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "lookups did not recover after the restart")
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	for i := range 50 {
		_, err := s.Connection(ctx, connReq("db"))
		require.NoError(t, err, "lookup %d after recovery", i)
	}
	after := startTime()
	assert.True(t, after.After(before), "the server really restarted (start time %s -> %s)", before, after)
	assert.Positive(t, okBefore, "lookups ran before the restart")
	assert.Nil(t, leaked.Load(), "an error or answer was wrong or held the secret")
	t.Logf("lookups: %d ok, %d failed while the server was down", ok.Load(), failed.Load())
}

// TestChangesSurvivePostgresRestart restarts a real PostgreSQL server
// under a resolver with a 1 h cache and a Watcher over the notify trigger,
// and writes a change as soon as the server is back, before the store can
// be listening again: the change is not lost (the broken stream dropped
// the cached answers and the resync looked again), and the next change is
// pushed on the new LISTEN connection.
func TestChangesSurvivePostgresRestart(t *testing.T) {
	spec := strings.Fields(os.Getenv(restartClusterEnv))
	if len(spec) != 3 {
		testutil.Missing(t, "a PostgreSQL cluster the test may restart: set %s=\"<version> <cluster> <port>\" (.ci/run creates one with pg_createcluster)", restartClusterEnv)
	}
	version, cluster, port := spec[0], spec[1], spec[2]
	base := "postgres://postgres@127.0.0.1:" + port + "/postgres?sslmode=disable&connect_timeout=5"
	admin := adminDB(t, "pgx", base, "the restartable PostgreSQL cluster at port "+port)
	schema := uniqueName()
	_, err := admin.Exec("CREATE SCHEMA " + schema)
	require.NoError(t, err)
	admin.Close()
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", base); err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE") //nolint:errcheck
			db.Close()
		}
	})
	dsn := base + "&search_path=" + schema
	ctx := t.Context()
	s := openWatched(t, dsn, nil)
	require.NoError(t, s.SetVariable(ctx, "k", "before", ""))
	require.NoError(t, s.InstallNotify(ctx))
	r := cachedResolver(t, s)
	w := r.Watcher(varReq("k"))
	defer w.Close()
	require.Equal(t, "before", watched(t, w))
	require.Eventually(t, func() bool { return s.listenPID.Load() != 0 }, eventually, 5*time.Millisecond)
	pid := s.listenPID.Load()
	require.Equal(t, "before", cachedValue(t, r, "k"))

	out, err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart", "--", "-m", "fast").CombinedOutput()
	require.NoError(t, err, "pg_ctlcluster restart: %s", out)
	// Written by another connection the moment the server takes one.
	writer := plainDB(t, dsn)
	deadline := time.Now().Add(2 * time.Minute) // a liveness bound
	for {
		_, err := writer.ExecContext(ctx, `UPDATE variable SET val = 'during the resync' WHERE "key" = 'k'`)
		if err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the restarted server took no write: %v", err)
		time.Sleep(20 * time.Millisecond)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		res, err := w.Watch(wctx)
		require.NoError(t, err, "the change written while the stream was down never reached the watcher")
		if res.Err == nil && res.Value.Reveal() == "during the resync" {
			break
		}
	}
	assert.Equal(t, "during the resync", cachedValue(t, r, "k"), "the cache does not keep the old answer for its hour")
	require.Eventually(t, func() bool { p := s.listenPID.Load(); return p != 0 && p != pid }, 2*time.Minute, 10*time.Millisecond,
		"the store listens again on a new connection")
	require.NoError(t, s.SetVariable(ctx, "k", "pushed", ""))
	assert.Equal(t, "pushed", watched(t, w))
}
