package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/testutil"
)

// notifyPostgres returns the sql_alchemy_conn of a new PostgreSQL schema,
// dropped when t ends.
func notifyPostgres(t *testing.T) string {
	t.Helper()
	admin := os.Getenv("SECRETPATH_TEST_POSTGRES")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&connect_timeout=5"
	}
	db, err := sql.Open("pgx", admin)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		testutil.Missing(t, "PostgreSQL at 127.0.0.1:5432 is not reachable (%v); .ci/run starts it", err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "sp_cli_" + hex.EncodeToString(b[:])
	_, err = db.Exec("CREATE SCHEMA " + schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE") //nolint:errcheck
		db.Close()
	})
	return admin + "&search_path=" + schema
}

// TestNotifyInstallCLI: db install-notify and uninstall-notify on
// PostgreSQL, what db check says of them, and install-notify where there
// is nothing to install.
func TestNotifyInstallCLI(t *testing.T) {
	freshHome(t)
	cfg := writeFile(t, t.TempDir(), "secretpath.cfg", "[database]\nsql_alchemy_conn = "+notifyPostgres(t)+"\n")
	const (
		polled = "change events: polled, reading both tables every 5s: the notify trigger is not installed (run: secretpath db install-notify)\n"
		pushed = "change events: pushed (the notify trigger is installed; LISTEN secretpath_changes)\n"
	)
	steps := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{name: "install before the tables exist", args: []string{"db", "install-notify"}, code: 1, stderr: "run: secretpath db migrate"},
		{name: "migrate", args: []string{"db", "migrate"}},
		{name: "check without the trigger", args: []string{"db", "check"}, stdout: polled},
		{name: "install", args: []string{"db", "install-notify"}, stderr: "database: postgres ([database] sql_alchemy_conn at " + cfg,
			stdout: "installed the notify triggers on connection and variable: changes are pushed on channel secretpath_changes\n"},
		{name: "install again", args: []string{"db", "install-notify"}, stdout: "installed the notify triggers"},
		{name: "check with the trigger", args: []string{"db", "check"}, stdout: pushed},
		{name: "uninstall", args: []string{"db", "uninstall-notify"}, stdout: "removed the notify triggers: running processes poll the tables instead\n"},
		{name: "uninstall again", args: []string{"db", "uninstall-notify"}, stdout: "removed the notify triggers"},
		{name: "check after uninstall", args: []string{"db", "check"}, stdout: polled},
		{name: "extra argument", args: []string{"db", "install-notify", "now"}, code: 2},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res := runCLI(t, nil, append([]string{"--config", cfg}, st.args...)...)
			require.Equal(t, st.code, res.code, "stdout: %s\nstderr: %s", res.stdout, res.stderr)
			assert.Contains(t, res.stdout, st.stdout)
			assert.Contains(t, res.stderr, st.stderr)
		})
	}
}

// TestNotifyNotNeededCLI: on SQLite there is nothing to install; the
// command says why and exits 0, and db check says how changes are seen.
func TestNotifyNotNeededCLI(t *testing.T) {
	freshHome(t)
	res := runCLI(t, nil, "db", "migrate")
	require.Equal(t, 0, res.code, res.stderr)
	for _, cmd := range []string{"install-notify", "uninstall-notify"} {
		res = runCLI(t, nil, "db", cmd)
		require.Equal(t, 0, res.code, res.stderr)
		assert.Equal(t, "not needed: the notify trigger is for PostgreSQL only; on sqlite changes are seen by polling PRAGMA data_version every 1s (no table read)\n", res.stdout)
	}
	res = runCLI(t, nil, "db", "check")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "change events: polled (PRAGMA data_version every 1s)\n")
}
