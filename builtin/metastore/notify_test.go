package metastore

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

// eventually bounds every wait for an event: a hang detector, not a timing
// assertion.
const eventually = 10 * time.Second

// openWatched opens a store on dsn, without a Fernet key (so that plain SQL
// can write values), with short polls, logging to log when not nil.
func openWatched(t testing.TB, dsn string, log *testutil.SyncBuffer) *Store {
	t.Helper()
	o := Options{DSN: dsn, Dir: t.TempDir(), SQLitePoll: 20 * time.Millisecond, TablePoll: 50 * time.Millisecond}
	if log != nil {
		o.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	s, err := Open(o)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// events runs s.Changes until t ends and returns its events, once the
// first (the stream established, All) has come.
func events(t *testing.T, s *Store) <-chan resolver.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan resolver.Event, 1000)
	done := make(chan error, 1)
	go func() { done <- s.Changes(ctx, nil, func(ev resolver.Event) { ch <- ev }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.ErrorIs(t, err, context.Canceled, "Changes ends with its context")
		case <-time.After(eventually):
			t.Error("Changes did not return after its context ended")
		}
	})
	select {
	case ev := <-ch:
		require.Equal(t, resolver.Event{All: true}, ev, "the first event says the stream is established")
	case err := <-done:
		t.Fatalf("Changes returned before it was established: %v", err)
	case <-time.After(eventually):
		t.Fatal("the change stream was not established")
	}
	return ch
}

// next returns the next n events.
func next(t *testing.T, ch <-chan resolver.Event, n int) []resolver.Event {
	t.Helper()
	var got []resolver.Event
	for len(got) < n {
		select {
		case ev := <-ch:
			got = append(got, ev)
		case <-time.After(eventually):
			t.Fatalf("waited for %d events, got %v", n, got)
		}
	}
	return got
}

// plainDB is a connection pool of its own on dsn: another client.
func plainDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	tg, err := parseDSN(dsn)
	require.NoError(t, err)
	db, err := tg.d.open(tg.source)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestNotifyInstall(t *testing.T) {
	ctx := t.Context()
	dsn := postgresDSN(t)
	s := openWatched(t, dsn, nil)

	err := s.InstallNotify(ctx)
	require.Error(t, err, "no tables yet")
	assert.Contains(t, err.Error(), "secretpath db migrate")
	require.NoError(t, s.Migrate(ctx))
	ok, err := s.NotifyInstalled(ctx)
	require.NoError(t, err)
	assert.False(t, ok)
	how, err := s.ChangeMethod(ctx)
	require.NoError(t, err)
	assert.Contains(t, how, "secretpath db install-notify")

	require.NoError(t, s.InstallNotify(ctx))
	require.NoError(t, s.InstallNotify(ctx), "installing again replaces")
	ok, err = s.NotifyInstalled(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
	how, err = s.ChangeMethod(ctx)
	require.NoError(t, err)
	assert.Contains(t, how, "pushed")

	other := plainDB(t, dsn)
	rows, err := other.QueryContext(ctx, `SELECT c.relname || '.' || t.tgname || ' -> ' || p.proname
		FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
		WHERE c.oid IN (to_regclass('connection'), to_regclass('variable')) AND NOT t.tgisinternal`)
	require.NoError(t, err)
	var triggers []string
	for rows.Next() {
		var tr string
		require.NoError(t, rows.Scan(&tr))
		triggers = append(triggers, tr)
	}
	require.NoError(t, rows.Err())
	sort.Strings(triggers)
	assert.Equal(t, []string{
		"connection.secretpath_notify -> secretpath_notify_connection",
		"connection.secretpath_notify_truncate -> secretpath_notify_connection",
		"variable.secretpath_notify -> secretpath_notify_variable",
		"variable.secretpath_notify_truncate -> secretpath_notify_variable",
	}, triggers, "installed twice, each trigger once")

	ch := events(t, s)
	conn := func(id string) connection.Connection {
		c, err := connection.ParseURI(id, "http://u:Pl4nted-pw@h")
		require.NoError(t, err)
		return c
	}
	exec := func(q string) func() error {
		return func() error { _, err := other.ExecContext(ctx, q); return err }
	}
	ev := func(kind resolver.Kind, id, team string) resolver.Event {
		return resolver.Event{Kind: kind, ID: id, Team: team}
	}
	const C, V = resolver.KindConnection, resolver.KindVariable
	tests := []struct {
		name  string
		write func() error
		want  []resolver.Event
	}{
		{"SetConnection", func() error { return s.SetConnection(ctx, conn("c1")) }, []resolver.Event{ev(C, "c1", "")}},
		{"SetConnection again", func() error { return s.SetConnection(ctx, conn("c1")) }, []resolver.Event{ev(C, "c1", "")}},
		{"SetVariable", func() error { return s.SetVariable(ctx, "v1", "Pl4nted-value", "") }, []resolver.Event{ev(V, "v1", "")}},
		{"DeleteVariable", func() error { return s.DeleteVariable(ctx, "v1") }, []resolver.Event{ev(V, "v1", "")}},
		{"DeleteConnection", func() error { return s.DeleteConnection(ctx, "c1") }, []resolver.Event{ev(C, "c1", "")}},
		{"SQL insert with a team", exec(`INSERT INTO variable ("key", val, is_encrypted, team_name) VALUES ('v2', 'x', false, 'team_a')`), []resolver.Event{ev(V, "v2", "team_a")}},
		{"SQL update of the team", exec(`UPDATE variable SET team_name = NULL WHERE "key" = 'v2'`), []resolver.Event{ev(V, "v2", "team_a"), ev(V, "v2", "")}},
		{"SQL update of the value", exec(`UPDATE variable SET val = 'y' WHERE "key" = 'v2'`), []resolver.Event{ev(V, "v2", "")}},
		{"SQL insert of a connection", exec(`INSERT INTO connection (conn_id, conn_type, team_name) VALUES ('c2', 'http', 'team_a')`), []resolver.Event{ev(C, "c2", "team_a")}},
		{"SQL rename", exec(`UPDATE connection SET conn_id = 'c3' WHERE conn_id = 'c2'`), []resolver.Event{ev(C, "c2", "team_a"), ev(C, "c3", "team_a")}},
		{"SQL delete", exec(`DELETE FROM connection WHERE conn_id = 'c3'`), []resolver.Event{ev(C, "c3", "team_a")}},
		{"a payload that does not decode", exec(`SELECT pg_notify('secretpath_changes', 'not json')`), []resolver.Event{{All: true}}},
		{"TRUNCATE", exec(`TRUNCATE variable`), []resolver.Event{{All: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.write())
			assert.Equal(t, tt.want, next(t, ch, len(tt.want)))
		})
	}
	// Nothing more came, and no event held a value.
	require.NoError(t, s.SetVariable(ctx, "marker", "m", ""))
	assert.Equal(t, []resolver.Event{ev(V, "marker", "")}, next(t, ch, 1))

	require.NoError(t, s.UninstallNotify(ctx))
	ok, err = s.NotifyInstalled(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "uninstalled")
	require.NoError(t, s.UninstallNotify(ctx), "uninstalling again is no error")
}

// The triggers on a schema without team_name (secretpath's schema 1, or
// Airflow's before 3.2) send a null team.
func TestNotifyInstallWithoutTeams(t *testing.T) {
	ctx := t.Context()
	dsn := postgresDSN(t)
	other := plainDB(t, dsn)
	for _, stmt := range dialectPostgres.ddl {
		_, err := other.ExecContext(ctx, stmt)
		require.NoError(t, err)
	}
	s := openWatched(t, dsn, nil)
	require.NoError(t, s.InstallNotify(ctx))
	ch := events(t, s)
	_, err := other.ExecContext(ctx, `INSERT INTO variable ("key", val) VALUES ('k', 'v')`)
	require.NoError(t, err)
	assert.Equal(t, []resolver.Event{{Kind: resolver.KindVariable, ID: "k"}}, next(t, ch, 1))
}

func TestNotifyNotNeeded(t *testing.T) {
	for _, db := range databases {
		if db.name == "postgres" {
			continue
		}
		t.Run(db.name, func(t *testing.T) {
			s := openWatched(t, db.dsn(t), nil)
			err := s.InstallNotify(t.Context())
			require.ErrorIs(t, err, errors.ErrUnsupported)
			assert.Contains(t, err.Error(), "polling")
			require.ErrorIs(t, s.UninstallNotify(t.Context()), errors.ErrUnsupported)
			ok, err := s.NotifyInstalled(t.Context())
			require.NoError(t, err)
			assert.False(t, ok)
			how, err := s.ChangeMethod(t.Context())
			require.NoError(t, err)
			assert.Contains(t, how, "polled")
		})
	}
}

func TestDecodeNotify(t *testing.T) {
	schemas := map[string]string{"connection": "s1", "variable": "s1"}
	tests := []struct {
		payload string
		want    resolver.Event
		ours    bool
	}{
		{`{"kind":"connection","id":"db","team":null,"schema":"s1"}`, resolver.Event{Kind: resolver.KindConnection, ID: "db"}, true},
		{`{"kind":"variable","id":"k","team":"team_a","schema":"s1"}`, resolver.Event{Kind: resolver.KindVariable, ID: "k", Team: "team_a"}, true},
		{`{"kind":"variable","id":"k"}`, resolver.Event{Kind: resolver.KindVariable, ID: "k"}, true},
		{`{"kind":"variable","id":"k","schema":"s2"}`, resolver.Event{}, false},
		{`{"all":true,"schema":"s2"}`, resolver.Event{}, false},
		{`{"all":true,"schema":"s1"}`, resolver.Event{All: true}, true},
		{`{"kind":"variable","schema":"s1"}`, resolver.Event{All: true}, true},
		{`{"kind":"config","id":"k","schema":"s1"}`, resolver.Event{All: true}, true},
		{`not json`, resolver.Event{All: true}, true},
		{``, resolver.Event{All: true}, true},
		{`{"kind":"variable","id":7}`, resolver.Event{All: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.payload, func(t *testing.T) {
			got, ours := decodeNotify(tt.payload, schemas)
			assert.Equal(t, tt.ours, ours)
			assert.Equal(t, tt.want, got)
		})
	}
}

// The trigger functions hold the payload's shape, and no more than ids,
// teams and the schema.
func TestTriggerFunction(t *testing.T) {
	for _, team := range []bool{true, false} {
		f := triggerFunction(`"s".secretpath_notify_variable()`, notifyTables[1], team)
		assert.Contains(t, f, `'id', OLD."key"`)
		assert.Contains(t, f, "pg_notify('secretpath_changes', p)")
		assert.NotContains(t, f, ".val")
		assert.Equal(t, team, strings.Contains(f, "OLD.team_name IS DISTINCT FROM NEW.team_name"))
	}
}

// TestNotifyForeignFloodDoesNotStarvePoll: another schema's notifications
// on the channel, coming far more often than TablePoll, must not put off
// the check that runs every TablePoll: without the triggers, a write to
// our table is still seen through the digest, and the triggers' removal is
// still noticed. TablePoll is 1 s, so that no pause of the flood (every
// 5 ms) on a busy machine lasts a whole TablePoll and lets the check run
// anyway.
func TestNotifyForeignFloodDoesNotStarvePoll(t *testing.T) {
	tests := []struct {
		name string
		// installed: the triggers are on our tables when the stream starts,
		// and removed while the flood runs.
		installed bool
	}{
		{"not installed: the digest sees the write", false},
		{"installed, then removed: the removal is seen", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			s, err := Open(Options{DSN: postgresDSN(t), Dir: t.TempDir(), TablePoll: time.Second})
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			require.NoError(t, s.Migrate(ctx))
			if tt.installed {
				require.NoError(t, s.InstallNotify(ctx))
			}
			ch := events(t, s)
			select {
			case <-floodForeignNotify(t):
			case <-time.After(eventually):
				t.Fatal("the other schema's notifications did not start")
			}
			if tt.installed {
				require.NoError(t, s.UninstallNotify(ctx))
			}
			require.NoError(t, s.SetVariable(ctx, "k", "v", ""))
			select {
			case ev := <-ch:
				assert.Equal(t, resolver.Event{All: true}, ev, "a poll's event")
			case <-time.After(eventually):
				t.Fatal("the write was not seen while another schema's notifications kept coming")
			}
		})
	}
}

// floodForeignNotify sends another schema's notification on NotifyChannel
// every 5 ms until t ends; the channel it returns is closed once 10 have
// been sent.
func floodForeignNotify(t *testing.T) <-chan struct{} {
	t.Helper()
	admin := plainDB(t, postgresAdmin)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for sent := 1; ctx.Err() == nil; sent++ {
			if _, err := admin.ExecContext(ctx, `SELECT pg_notify('`+NotifyChannel+`', '{"kind":"variable","id":"x","team":null,"schema":"some_other_airflow"}')`); err != nil {
				if ctx.Err() == nil {
					t.Errorf("sending another schema's notification: %v", err)
				}
				return
			}
			if sent == 10 {
				close(started)
			}
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return started
}
