package metastore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

// The servers the tests use; the environment may point elsewhere.
func serverDSN(env, def string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	return def
}

var (
	postgresAdmin = serverDSN("SECRETPATH_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&connect_timeout=5")
	mysqlAdmin    = serverDSN("SECRETPATH_TEST_MYSQL", "root@tcp(127.0.0.1:3306)/test?timeout=5s")
)

// database is one kind of database the tests run on.
type database struct {
	name string
	// dsn returns the DSN of a new, empty database (SQLite file, PostgreSQL
	// schema, MariaDB database) that is dropped when t ends.
	dsn func(t testing.TB) string
}

var databases = []database{
	{name: "sqlite", dsn: sqliteDSN},
	{name: "postgres", dsn: postgresDSN},
	{name: "mariadb", dsn: mysqlDSN},
}

func uniqueName() string {
	var b [6]byte
	rand.Read(b[:])
	return "sp_test_" + hex.EncodeToString(b[:])
}

func sqliteDSN(t testing.TB) string {
	return "sqlite:///" + filepath.Join(t.TempDir(), "metastore.db")
}

func adminDB(t testing.TB, driver, dsn, what string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		testutil.Missing(t, "%s is not reachable (%v); .ci/run starts it", what, err)
	}
	return db
}

func postgresDSN(t testing.TB) string {
	t.Helper()
	db := adminDB(t, "pgx", postgresAdmin, "PostgreSQL at 127.0.0.1:5432")
	schema := uniqueName()
	_, err := db.Exec("CREATE SCHEMA " + schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE") //nolint:errcheck
		db.Close()
	})
	return postgresAdmin + "&search_path=" + schema
}

func mysqlDSN(t testing.TB) string {
	t.Helper()
	db := adminDB(t, "mysql", mysqlAdmin, "MariaDB at 127.0.0.1:3306")
	name := uniqueName()
	_, err := db.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4")
	require.NoError(t, err)
	t.Cleanup(func() {
		db.Exec("DROP DATABASE " + name) //nolint:errcheck
		db.Close()
	})
	return "mysql://root@127.0.0.1:3306/" + name
}

// testKey is a fixed Fernet key for tests.
const testKey = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="

func openStore(t testing.TB, dsn string, key string) *Store {
	t.Helper()
	s, err := Open(Options{DSN: dsn, FernetKey: connection.NewSecret(key), Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// connReq is the request for connection connID, without a team.
func connReq(connID string) resolver.Request {
	return resolver.Request{Kind: resolver.KindConnection, ID: connID}
}
