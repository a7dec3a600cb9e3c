package metastore

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

func TestDefaultDir(t *testing.T) {
	t.Setenv(HomeEnv, "/custom/home")
	d, err := DefaultDir()
	require.NoError(t, err)
	assert.Equal(t, "/custom/home", d)
	t.Setenv(HomeEnv, "")
	t.Setenv("XDG_DATA_HOME", "/xdg/data")
	d, err = DefaultDir()
	require.NoError(t, err)
	assert.Equal(t, "/xdg/data/secretpath", d)
	t.Setenv("XDG_DATA_HOME", "relative/ignored")
	t.Setenv("HOME", "/home/u")
	d, err = DefaultDir()
	require.NoError(t, err)
	assert.Equal(t, "/home/u/.local/share/secretpath", d)
}

// TestDefaultDatabase: lookups create nothing; the first write creates the
// database, its tables and a private key; a store opened before that
// sees the key once it exists.
func TestDefaultDatabase(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "nested", "secretpath")
	reader, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	defer reader.Close()
	_, err = reader.Variable(ctx, "k")
	require.ErrorIs(t, err, resolver.ErrNotFound)
	_, err = reader.Connection(ctx, connReq("c"))
	require.ErrorIs(t, err, resolver.ErrNotFound)
	conns, err := reader.Connections(ctx)
	require.NoError(t, err)
	assert.Empty(t, conns)
	_, err = os.Stat(dir)
	require.ErrorIs(t, err, os.ErrNotExist, "lookups create nothing")
	_, err = reader.Check(ctx)
	require.ErrorIs(t, err, ErrCheck)

	writer, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	defer writer.Close()
	require.NoError(t, writer.SetVariable(ctx, "k", "v", ""))
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	fi, err = os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	v, err := reader.Variable(ctx, "k")
	require.NoError(t, err, "the earlier store picks the new key up")
	assert.Equal(t, "v", v)

	st, err := writer.Check(ctx)
	require.NoError(t, err)
	assert.Equal(t, Status{Dialect: "sqlite", Path: filepath.Join(dir, DatabaseFile), Version: SchemaVersion, Latest: SchemaVersion, Variables: 1}, st)

	// A configured key later: new writes use it, the file's key still
	// opens the old ones.
	key, err := NewFernetKey()
	require.NoError(t, err)
	configured, err := Open(Options{Dir: dir, FernetKey: connection.NewSecret(key)})
	require.NoError(t, err)
	defer configured.Close()
	v, err = configured.Variable(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	require.NoError(t, configured.SetVariable(ctx, "k2", "v2", ""))
	onlyKey, err := Open(Options{DSN: "sqlite:///" + filepath.Join(dir, DatabaseFile), FernetKey: connection.NewSecret(key)})
	require.NoError(t, err)
	defer onlyKey.Close()
	v, err = onlyKey.Variable(ctx, "k2")
	require.NoError(t, err)
	assert.Equal(t, "v2", v)
}

func TestMigrateAndCheck(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			ctx := t.Context()
			dsn := db.dsn(t)
			if db.name == "sqlite" {
				// A missing SQLite file holds nothing; an existing one
				// without the tables is a misconfiguration.
				require.NoError(t, os.WriteFile(dsn[len("sqlite:///"):], nil, 0o600))
			}
			s := openStore(t, dsn, "")
			_, err := s.Variable(ctx, "k")
			require.Error(t, err, "a configured database without tables is a failure, not a miss")
			assert.NotErrorIs(t, err, resolver.ErrNotFound)
			assert.Contains(t, err.Error(), "secretpath db migrate")

			_, err = s.Check(ctx)
			require.ErrorIs(t, err, ErrCheck)
			require.NoError(t, s.Migrate(ctx))
			require.NoError(t, s.Migrate(ctx), "idempotent")
			st, err := s.Check(ctx)
			require.NoError(t, err)
			assert.Equal(t, SchemaVersion, st.Version)
			assert.Equal(t, 2, SchemaVersion, "migration 2 adds team_name")

			// A second store (another process's first use) finds the tables.
			other := openStore(t, dsn, "")
			require.NoError(t, other.SetVariable(ctx, "k", "v", ""))
			v, err := s.Variable(ctx, "k")
			require.NoError(t, err)
			assert.Equal(t, "v", v)
		})
	}
}

func TestWritesCreateTables(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			ctx := t.Context()
			s := openStore(t, db.dsn(t), testKey)
			c, err := connection.ParseJSON("j", `{"conn_type": "http", "host": "", "description": "d", "extra": {"a": "1"}}`)
			require.NoError(t, err)
			require.NoError(t, s.AddConnection(ctx, c))
			require.ErrorIs(t, s.AddConnection(ctx, c), ErrExists)
			got, err := s.Connection(ctx, connReq("j"))
			require.NoError(t, err)
			assert.True(t, got.Has(connection.FieldHost), `host "" stays present`)
			assert.False(t, got.Has(connection.FieldSchema))
			assert.Equal(t, "d", got.Description)
			assert.JSONEq(t, `{"a": "1"}`, got.Extra)

			_, err = s.RotateFernetKey(ctx)
			require.NoError(t, err)
			clear := openStore(t, "sqlite://", "")
			_, err = clear.RotateFernetKey(ctx)
			require.ErrorIs(t, err, config.ErrInvalid)
		})
	}
}

// TestRegistry: the metastore opens by its Airflow class path from a config
// file's [database] and [core] (not from backend_kwargs, which it refuses,
// whatever they are), and is a *Store.
func TestRegistry(t *testing.T) {
	cfg := parseConfig(t, "[database]\nsql_alchemy_conn = sqlite://\n[core]\nfernet_key = "+testKey+"\n")
	b, err := resolver.OpenBackend(t.Context(), "airflow.secrets.metastore.MetastoreBackend", resolver.Env{Config: cfg})
	require.NoError(t, err)
	s := b.(*Store)
	defer s.Close()
	require.NoError(t, s.SetVariable(t.Context(), "k", "v", ""))
	assert.True(t, s.keysNow().enabled(), "[core] fernet_key is read")
	for _, kw := range []string{`{"dsn": "sqlite://"}`, `{"sql_alchemy_conn": "sqlite://", "fernet_key": "` + testKey + `"}`} {
		k, err := config.ParseKwargs([]byte(kw))
		require.NoError(t, err)
		_, err = resolver.OpenBackend(t.Context(), Name, resolver.Env{Kwargs: k, Config: cfg})
		require.ErrorIs(t, err, config.ErrInvalid, kw)
		for _, key := range k.Keys() {
			assert.Contains(t, err.Error(), key)
		}
		assert.Contains(t, err.Error(), "[database] sql_alchemy_conn", "the error says where the settings go")
		assert.NotContains(t, err.Error(), testKey)
	}
}

// TestRequests: what each kind of request gets, with or without a team
// (with multi_team off a team changes nothing: rows of no team are read),
// through Lookup, the Connection fast path and Describe.
func TestRequests(t *testing.T) {
	ctx := t.Context()
	s := openStore(t, "sqlite://", testKey)
	c, err := connection.ParseURI("x", "http://h:80")
	require.NoError(t, err)
	require.NoError(t, s.SetConnection(ctx, c))
	require.NoError(t, s.SetVariable(ctx, "x", "v", ""))

	for _, team := range []string{"", "team_a"} {
		got, err := s.Connection(ctx, resolver.Request{ID: "x", Team: team})
		require.NoError(t, err, "a request without a kind is a connection request for Connection")
		assert.Equal(t, "h", got.Host)
		got, err = s.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "x", Team: team})
		require.NoError(t, err)
		assert.Equal(t, "h", got.Host)
		raw, err := s.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "x", Team: team})
		require.NoError(t, err)
		assert.JSONEq(t, `{"conn_id": "x", "conn_type": "http", "description": null, "host": "h", "port": 80, "schema": "", "login": null, "password": null, "extra": null}`, raw)
		v, err := s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "x", Team: team})
		require.NoError(t, err)
		assert.Equal(t, "v", v)

		_, err = s.Connection(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "x", Team: team})
		require.ErrorIs(t, err, resolver.ErrNotFound)
		for _, kind := range []resolver.Kind{0, resolver.KindConfig, 42} {
			_, err = s.Lookup(ctx, resolver.Request{Kind: kind, ID: "x", Team: team})
			require.ErrorIs(t, err, resolver.ErrNotFound, kind)
		}

		assert.Equal(t, `table connection, conn_id "x" (sqlite)`, s.Describe(resolver.Request{Kind: resolver.KindConnection, ID: "x", Team: team}))
		assert.Equal(t, `table variable, key "x" (sqlite)`, s.Describe(resolver.Request{Kind: resolver.KindVariable, ID: "x", Team: team}))
		assert.Equal(t, "no lookup (the metastore holds no configs)", s.Describe(resolver.Request{Kind: resolver.KindConfig, ID: "x", Team: team}))
	}
}
