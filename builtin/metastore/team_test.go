package metastore

import (
	"context"
	"database/sql"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

// openTeamStore opens a store with [core] multi_team as given (and
// [core] fernet_key, if any).
func openTeamStore(t testing.TB, dsn string, multiTeam bool, key ...string) *Store {
	t.Helper()
	var k connection.Secret
	if len(key) > 0 {
		k = connection.NewSecret(key[0])
	}
	s, err := Open(Options{DSN: dsn, MultiTeam: multiTeam, FernetKey: k, Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// seedTeams writes rows of no team through the store, then gives some a
// team with SQL, as Airflow does (secretpath's writes are team-less).
func seedTeams(t *testing.T, s *Store, rows map[string]string) {
	t.Helper()
	ctx := t.Context()
	db, _, err := s.conn(ctx, true)
	require.NoError(t, err)
	d := s.t.d
	for id, team := range rows {
		var teamArg any
		if team != "" {
			teamArg = team
		}
		_, err := db.ExecContext(ctx, d.sql("INSERT INTO connection (conn_id, conn_type, host, team_name) VALUES (?, ?, ?, ?)"), id, "http", "host-"+id, teamArg)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, d.sql("INSERT INTO variable (`key`, val, is_encrypted, team_name) VALUES (?, ?, ?, ?)"), id, "value-"+id, false, teamArg)
		require.NoError(t, err)
	}
}

// TestTeams: newest Airflow's MetastoreBackend reads the row whose
// team_name is the caller's team or NULL (conn_id and key are unique across
// teams, so there is one row at most); without a team, only rows of no
// team. Vectors ported from Airflow's metastore team tests, for
// connections and variables, on every database.
func TestTeams(t *testing.T) {
	rows := map[string]string{"shared": "", "a_only": "team_a", "b_only": "team-b"}
	tests := []struct {
		name     string
		multiOff bool
		id, team string
		found    bool
	}{
		{name: "row of no team, no team", id: "shared", found: true},
		{name: "row of no team, read for a team", id: "shared", team: "team_a", found: true},
		{name: "row of the team, read for it", id: "a_only", team: "team_a", found: true},
		{name: "hyphenated team reads its row", id: "b_only", team: "team-b", found: true},
		{name: "row of a team, no team", id: "a_only"},
		{name: "row of another team", id: "a_only", team: "team-b"},
		{name: "team names compare exactly", id: "a_only", team: "team_b"},
		{name: "team names compare case-sensitively", id: "a_only", team: "TEAM_A"},
		{name: "trailing spaces count", id: "a_only", team: "team_a   "},
		{name: "accents count", id: "a_only", team: "téam_a"},
		{name: "absent id for a team", id: "absent", team: "team_a"},
		{name: "multi_team off/row of no team", multiOff: true, id: "shared", team: "team_a", found: true},
		{name: "multi_team off/team ignored", multiOff: true, id: "a_only", team: "team_a"},
	}
	// A team_name Airflow made on MySQL has the table's collation (case- and
	// accent-insensitive, PAD SPACE): lookups must compare exactly anyway.
	const airflowColumn = "mariadb, team_name of the table's collation"
	for _, db := range append(databases, database{name: airflowColumn, dsn: mysqlDSN}) {
		t.Run(db.name, func(t *testing.T) {
			dsn := db.dsn(t)
			on, off := openTeamStore(t, dsn, true), openTeamStore(t, dsn, false)
			seedTeams(t, on, rows)
			if db.name == "mariadb" { // migration 2's column
				sqlDB, _, err := on.conn(t.Context(), false)
				require.NoError(t, err)
				for _, table := range teamTables {
					var coll string
					require.NoError(t, sqlDB.QueryRowContext(t.Context(), "SELECT collation_name FROM information_schema.columns"+
						" WHERE table_schema = DATABASE() AND table_name = ? AND column_name = 'team_name'", table).Scan(&coll))
					assert.Equal(t, "utf8mb4_bin", coll, table)
				}
			}
			if db.name == airflowColumn {
				sqlDB, _, err := on.conn(t.Context(), false)
				require.NoError(t, err)
				for _, table := range teamTables {
					_, err := sqlDB.ExecContext(t.Context(), "ALTER TABLE "+table+" MODIFY team_name VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
					require.NoError(t, err)
				}
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					s := on
					if tt.multiOff {
						s = off
					}
					ctx := t.Context()
					c, err := s.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: tt.id, Team: tt.team})
					raw, lerr := s.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: tt.id, Team: tt.team})
					v, verr := s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: tt.id, Team: tt.team})
					if !tt.found {
						assert.ErrorIs(t, err, resolver.ErrNotFound)
						assert.ErrorIs(t, lerr, resolver.ErrNotFound)
						assert.ErrorIs(t, verr, resolver.ErrNotFound)
						return
					}
					require.NoError(t, err)
					require.NoError(t, lerr)
					require.NoError(t, verr)
					assert.Equal(t, "host-"+tt.id, c.Host)
					assert.Contains(t, raw, `"host":"host-`+tt.id+`"`)
					assert.Equal(t, "value-"+tt.id, v)
				})
			}

			// Lists and the Go API's Variable stay team-less.
			conns, err := on.Connections(t.Context())
			require.NoError(t, err)
			require.Len(t, conns, 1)
			assert.Equal(t, "shared", conns[0].ConnID)
			vars, err := on.Variables(t.Context())
			require.NoError(t, err)
			require.Len(t, vars, 1)
			assert.Equal(t, "shared", vars[0].Key)
			_, err = on.Variable(t.Context(), "a_only")
			assert.ErrorIs(t, err, resolver.ErrNotFound)
		})
	}
}

// TestTeamThroughResolver: the resolver asks the metastore with the
// request's team, and caches per team.
func TestTeamThroughResolver(t *testing.T) {
	s := openTeamStore(t, sqliteDSN(t), true)
	seedTeams(t, s, map[string]string{"a_only": "team_a"})
	r := resolver.New(resolver.WithFallback(Name, s), resolver.WithCache(time.Minute, 100))
	for range 2 { // the second round answers from the cache
		_, err := r.LookupValue(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "a_only"})
		require.ErrorIs(t, err, resolver.ErrNotFound)
		v, err := r.LookupValue(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "a_only", Team: "team_a"})
		require.NoError(t, err)
		assert.Equal(t, "value-a_only", v.Reveal())
		c, err := r.LookupConnection(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "a_only", Team: "team_a"})
		require.NoError(t, err)
		assert.Equal(t, "host-a_only", c.Host)
		_, err = r.LookupConnection(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "a_only", Team: "team-b"})
		require.ErrorIs(t, err, resolver.ErrNotFound)
	}
}

// TestTeamFromConfig: [core] multi_team in the config file turns teams on
// for the registry's store; a value that is not a boolean is an error
// naming where it is set.
func TestTeamFromConfig(t *testing.T) {
	dsn := sqliteDSN(t)
	seedTeams(t, openTeamStore(t, dsn, false), map[string]string{"a_only": "team_a"})
	for _, tt := range []struct {
		text  string
		found bool
	}{
		{"[core]\nmulti_team = True\n", true},
		{"[core]\nmulti_team = False\n", false},
		{"[core]\n", false},
	} {
		cfg := parseConfig(t, "[database]\nsql_alchemy_conn = "+dsn+"\n"+tt.text)
		s, err := openFromConfig(t, cfg)
		require.NoError(t, err)
		_, err = s.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "a_only", Team: "team_a"})
		assert.Equal(t, tt.found, err == nil, "%s: %v", tt.text, err)
		s.Close()
	}
	_, err := openFromConfig(t, parseConfig(t, "[core]\nmulti_team = sure\n"))
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "airflow.cfg:2")
}

// TestTeamDescribe: Explain says which rows a team's lookup sees.
func TestTeamDescribe(t *testing.T) {
	on, off := openTeamStore(t, "sqlite://", true), openTeamStore(t, "sqlite://", false)
	req := resolver.Request{Kind: resolver.KindConnection, ID: "x", Team: "team_a"}
	assert.Equal(t, `table connection, conn_id "x" with team_name "team_a" or NULL (sqlite)`, on.Describe(req))
	assert.Equal(t, `table connection, conn_id "x" (sqlite)`, off.Describe(req))
	req = resolver.Request{Kind: resolver.KindVariable, ID: "k", Team: "team-b"}
	assert.Equal(t, `table variable, key "k" with team_name "team-b" or NULL (sqlite)`, on.Describe(req))
	assert.Equal(t, `table variable, key "k" (sqlite)`, on.Describe(resolver.Request{Kind: resolver.KindVariable, ID: "k"}))
}

// oldSchema makes a database as secretpath's migration 1 left it: the
// tables without team_name, schema version 1, and a row of each kind.
func oldSchema(t *testing.T, db database) string {
	t.Helper()
	dsn := db.dsn(t)
	s := openStore(t, dsn, "")
	ctx := t.Context()
	tgt, err := parseDSN(dsn)
	require.NoError(t, err)
	sqlDB, err := tgt.d.open(tgt.source)
	require.NoError(t, err)
	defer sqlDB.Close()
	d := s.t.d
	stmts := append(append([]string{}, d.ddl...), versionDDL(d))
	for _, stmt := range stmts {
		_, err := sqlDB.ExecContext(ctx, stmt)
		require.NoError(t, err)
	}
	for _, q := range []struct {
		query string
		args  []any
	}{
		{"INSERT INTO " + versionTable + " (version, name, applied_at) VALUES (?, ?, ?)", []any{1, migrations[0].name, "2026-01-01T00:00:00Z"}},
		{"INSERT INTO connection (conn_id, conn_type, host) VALUES (?, ?, ?)", []any{"old_conn", "http", "old.example.com"}},
		{"INSERT INTO variable (`key`, val, is_encrypted) VALUES (?, ?, ?)", []any{"old_var", "old value", false}},
	} {
		_, err := sqlDB.ExecContext(ctx, d.sql(q.query), q.args...)
		require.NoError(t, err, q.query)
	}
	return dsn
}

// TestUpgradeOldSchema: a database of secretpath's schema 1 (no team_name)
// keeps answering before the upgrade (every row is of no team), Check says
// to migrate, and Migrate adds team_name to both tables (rows of no team)
// without touching the rows; lookups prepared before the migration are
// prepared again, so a row given a team afterwards is that team's only.
func TestUpgradeOldSchema(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			ctx := t.Context()
			dsn := oldSchema(t, db)
			s := openTeamStore(t, dsn, true)

			for _, team := range []string{"", "team_a"} {
				c, err := s.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "old_conn", Team: team})
				require.NoError(t, err, "before the upgrade, team %q", team)
				assert.Equal(t, "old.example.com", c.Host)
				v, err := s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "old_var", Team: team})
				require.NoError(t, err)
				assert.Equal(t, "old value", v)
			}
			st, err := s.Check(ctx)
			require.ErrorIs(t, err, ErrCheck)
			assert.Equal(t, 1, st.Version)
			assert.Contains(t, err.Error(), "secretpath db migrate")

			require.NoError(t, s.Migrate(ctx))
			require.NoError(t, s.Migrate(ctx), "idempotent")
			st, err = s.Check(ctx)
			require.NoError(t, err)
			assert.Equal(t, SchemaVersion, st.Version)
			assert.Equal(t, 1, st.Connections)
			for _, table := range teamTables {
				assert.True(t, s.probe(ctx, "SELECT team_name FROM "+table+" WHERE team_name IS NULL"), table)
			}

			// Airflow (here: SQL) gives the rows a team: this same store
			// no longer shows them without it.
			sqlDB, _, err := s.conn(ctx, false)
			require.NoError(t, err)
			for _, table := range teamTables {
				_, err := sqlDB.ExecContext(ctx, "UPDATE "+table+" SET team_name = 'team_a'")
				require.NoError(t, err)
			}
			_, err = s.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "old_conn"})
			assert.ErrorIs(t, err, resolver.ErrNotFound, "a team's row without a team")
			_, err = s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "old_var"})
			assert.ErrorIs(t, err, resolver.ErrNotFound)
			v, err := s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "old_var", Team: "team_a"})
			require.NoError(t, err)
			assert.Equal(t, "old value", v)
		})
	}
}

// TestMigrateKeepsAirflowTeamColumns: migrating a database whose tables
// Airflow made (team_name already there, with its foreign key on SQLite)
// adds nothing and fails on nothing.
func TestMigrateKeepsAirflowTeamColumns(t *testing.T) {
	path, rows := buildAirflowDB(t)
	dsns := map[string]string{"sqlite (made by Python)": "sqlite:///" + path}
	for _, db := range databases[1:] {
		dsns[db.name] = loadAirflowRows(t, db, rows)
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			s := openTeamStore(t, dsn, true, newKey+","+oldKey)
			require.NoError(t, s.Migrate(ctx))
			st, err := s.Check(ctx)
			require.NoError(t, err)
			assert.True(t, st.Airflow)
			assert.Equal(t, SchemaVersion, st.Version)
			c, err := s.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "team_conn", Team: "team_a"})
			require.NoError(t, err)
			assert.Equal(t, "team.example.com", c.Host)
			v, err := s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "team_var", Team: "team_a"})
			require.NoError(t, err)
			assert.Equal(t, "team value", v)
			_, err = s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "team_var", Team: "team_b"})
			assert.ErrorIs(t, err, resolver.ErrNotFound)
			checkAirflowData(t, resolver.New(resolver.WithFallback(Name, s)))
			if name == "sqlite (made by Python)" {
				assert.Equal(t, 1, countColumns(ctx, t, s, "connection", "team_name"))
			}
		})
	}

	// An Airflow database older than 3.2 (alembic_version, no team_name):
	// migrating it must not add team_name, or Airflow's own upgrade to 3.2
	// would fail on a column that exists. Until that upgrade every row is
	// of no team; after it, the store filters by team (within teamRecheck).
	for _, db := range databases {
		t.Run("airflow 3.1/"+db.name, func(t *testing.T) {
			ctx := t.Context()
			dsn := airflow31(t, db)
			s := openTeamStore(t, dsn, true)
			clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			s.now = func() time.Time { return clock }
			require.NoError(t, s.Migrate(ctx))
			st, err := s.Check(ctx)
			require.NoError(t, err)
			assert.True(t, st.Airflow)
			assert.Equal(t, SchemaVersion, st.Version)
			sqlDB, _, err := s.conn(ctx, false)
			require.NoError(t, err)
			for _, table := range teamTables {
				has, err := s.t.d.hasColumn(ctx, sqlDB, table, "team_name")
				require.NoError(t, err)
				assert.False(t, has, "team_name added to %s", table)
			}
			for _, team := range []string{"", "team_a"} {
				c, err := s.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "old_conn", Team: team})
				require.NoError(t, err, "team %q", team)
				assert.Equal(t, "old.example.com", c.Host)
			}

			// Airflow's 3.2 upgrade adds the column (and it can), then
			// gives the row a team.
			for _, table := range teamTables {
				_, err := sqlDB.ExecContext(ctx, "ALTER TABLE "+table+" ADD COLUMN team_name VARCHAR(50)")
				require.NoError(t, err, table)
				_, err = sqlDB.ExecContext(ctx, "UPDATE "+table+" SET team_name = 'team_a'")
				require.NoError(t, err, table)
			}
			clock = clock.Add(teamRecheck)
			_, err = s.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "old_conn"})
			assert.ErrorIs(t, err, resolver.ErrNotFound, "a team's row without a team")
			_, err = s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "old_var", Team: "team_b"})
			assert.ErrorIs(t, err, resolver.ErrNotFound, "a team's row for another team")
			v, err := s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "old_var", Team: "team_a"})
			require.NoError(t, err)
			assert.Equal(t, "old value", v)
		})
	}
}

// airflow31 makes a database as Airflow before 3.2 leaves it: its
// connection and variable tables without team_name, alembic_version, no
// secretpath_migration, and a row of each kind.
func airflow31(t *testing.T, db database) string {
	t.Helper()
	dsn := db.dsn(t)
	ctx := t.Context()
	tgt, err := parseDSN(dsn)
	require.NoError(t, err)
	sqlDB, err := tgt.d.open(tgt.source)
	require.NoError(t, err)
	defer sqlDB.Close()
	d := tgt.d
	stmts := append(append([]string{}, d.ddl...),
		"CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
		"INSERT INTO alembic_version (version_num) VALUES ('d69d6e6a3d5f')",
		d.sql("INSERT INTO connection (conn_id, conn_type, host) VALUES ('old_conn', 'http', 'old.example.com')"),
		d.sql("INSERT INTO variable (`key`, val, is_encrypted) VALUES ('old_var', 'old value', FALSE)"),
	)
	for _, stmt := range stmts {
		_, err := sqlDB.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	return dsn
}

func countColumns(ctx context.Context, t *testing.T, s *Store, table, column string) int {
	t.Helper()
	db, _, err := s.conn(ctx, false)
	require.NoError(t, err)
	var n int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?", table, column).Scan(&n))
	return n
}

// TestWritesTeamless: writes never set or change team_name (package doc):
// a new row is of no team; replacing a team's id keeps the row the team's.
func TestWritesTeamless(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			ctx := t.Context()
			s := openTeamStore(t, db.dsn(t), true, testKey)
			seedTeams(t, s, map[string]string{"a_only": "team_a"})
			require.NoError(t, s.SetVariable(ctx, "fresh", "new row", ""))
			require.NoError(t, s.SetVariable(ctx, "a_only", "replaced", ""))
			c, err := connection.ParseURI("a_only", "http://replaced.example.com")
			require.NoError(t, err)
			require.NoError(t, s.SetConnection(ctx, c))

			v, err := s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "fresh"})
			require.NoError(t, err, "a written row is of no team")
			assert.Equal(t, "new row", v)
			v, err = s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "a_only", Team: "team_a"})
			require.NoError(t, err)
			assert.Equal(t, "replaced", v)
			got, err := s.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "a_only", Team: "team_a"})
			require.NoError(t, err)
			assert.Equal(t, "replaced.example.com", got.Host)
			_, err = s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "a_only"})
			assert.ErrorIs(t, err, resolver.ErrNotFound, "the replaced row stays the team's")
			_, err = s.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "a_only"})
			assert.ErrorIs(t, err, resolver.ErrNotFound)
		})
	}
}

// TestTeamColumnUnreadable: a store whose check for team_name fails (here
// a PostgreSQL role without SELECT on the column) must not fall back to
// statements without the team filter, which would show every team's rows:
// lookups are errors instead.
func TestTeamColumnUnreadable(t *testing.T) {
	dsn := postgresDSN(t)
	seedTeams(t, openTeamStore(t, dsn, true), map[string]string{"shared": "", "a_only": "team_a"})

	u, err := url.Parse(dsn)
	require.NoError(t, err)
	schema := u.Query().Get("search_path")
	require.NotEmpty(t, schema)
	admin := adminDB(t, "pgx", dsn, "PostgreSQL at 127.0.0.1:5432")
	role := uniqueName()
	for _, stmt := range []string{
		"CREATE ROLE " + role + " LOGIN",
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		`GRANT SELECT (id, conn_id, conn_type, description, host, "schema", login, password, port, is_encrypted, is_extra_encrypted, extra) ON connection TO ` + role,
		`GRANT SELECT (id, "key", val, description, is_encrypted) ON variable TO ` + role,
	} {
		_, err := admin.Exec(stmt)
		require.NoError(t, err, stmt)
	}
	t.Cleanup(func() {
		admin.Exec("DROP OWNED BY " + role) //nolint:errcheck
		admin.Exec("DROP ROLE " + role)     //nolint:errcheck
		admin.Close()
	})
	u.User = url.User(role)
	s := openTeamStore(t, u.String(), true)

	for _, tt := range []struct{ id, team string }{
		{"a_only", ""},
		{"a_only", "team_b"},
		{"shared", ""},
		{"shared", "team_a"},
	} {
		ctx := t.Context()
		_, err := s.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: tt.id, Team: tt.team})
		require.Error(t, err, "connection %s, team %q", tt.id, tt.team)
		assert.NotErrorIs(t, err, resolver.ErrNotFound)
		_, err = s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: tt.id, Team: tt.team})
		require.Error(t, err, "variable %s, team %q", tt.id, tt.team)
		assert.NotErrorIs(t, err, resolver.ErrNotFound)
		assert.Contains(t, err.Error(), "permission denied")
	}
}

// TestTeamColumnAddedElsewhere: a store that prepared its lookups on a
// database without team_name notices, within teamRecheck, that another
// process added it, and from then on filters by team.
func TestTeamColumnAddedElsewhere(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			ctx := t.Context()
			dsn := oldSchema(t, db)
			s := openTeamStore(t, dsn, true)
			clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			s.now = func() time.Time { return clock }
			_, err := s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "old_var"})
			require.NoError(t, err, "prepared on schema 1")

			other := openTeamStore(t, dsn, true)
			require.NoError(t, other.Migrate(ctx))
			sqlDB, _, err := other.conn(ctx, false)
			require.NoError(t, err)
			for _, table := range teamTables {
				_, err := sqlDB.ExecContext(ctx, "UPDATE "+table+" SET team_name = 'team_a'")
				require.NoError(t, err)
			}

			clock = clock.Add(teamRecheck - time.Nanosecond)
			_, err = s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "old_var"})
			assert.NoError(t, err, "not asked again within teamRecheck")

			clock = clock.Add(time.Nanosecond)
			_, err = s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "old_var"})
			assert.ErrorIs(t, err, resolver.ErrNotFound, "a team's row without a team")
			_, err = s.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "old_conn", Team: "team_b"})
			assert.ErrorIs(t, err, resolver.ErrNotFound, "a team's row for another team")
			c, err := s.Connection(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "old_conn", Team: "team_a"})
			require.NoError(t, err)
			assert.Equal(t, "old.example.com", c.Host)
			vars, err := s.Variables(ctx)
			require.NoError(t, err)
			assert.Empty(t, vars)
		})
	}
}

// TestRetiredStatements: statements a migration replaces stay usable by a
// lookup that holds them, and are closed when it ends (not kept until
// Close, one set per Migrate).
func TestRetiredStatements(t *testing.T) {
	ctx := t.Context()
	s := openTeamStore(t, sqliteDSN(t), true)
	require.NoError(t, s.SetVariable(ctx, "k", "v", ""))
	q, err := s.lookupConn(ctx, errVarNotFound, true)
	require.NoError(t, err)
	for range 3 {
		require.NoError(t, s.Migrate(ctx))
	}
	var val string
	var enc sql.NullBool
	require.NoError(t, q.variable.QueryRowContext(ctx, "k").Scan(&val, &enc), "held across migrations")
	s.release(q)
	err = q.variable.QueryRowContext(ctx, "k").Scan(&val, &enc)
	assert.ErrorContains(t, err, "statement is closed", "closed when released")

	// The statements in use now are not those.
	_, err = s.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "k"})
	require.NoError(t, err)
	s.lockWait()
	assert.NotSame(t, q, s.q)
	s.unlock()
}

// TestMigrateLockTimeout: on MySQL, a migration that cannot take the lock
// says it timed out (GET_LOCK returns 0, with no error).
func TestMigrateLockTimeout(t *testing.T) {
	dsn := mysqlDSN(t)
	s := openTeamStore(t, dsn, false)
	db, _, err := s.conn(t.Context(), true)
	require.NoError(t, err)
	holder, err := db.Conn(t.Context())
	require.NoError(t, err)
	defer holder.Close()
	var got int
	require.NoError(t, holder.QueryRowContext(t.Context(), "SELECT GET_LOCK('secretpath_migrate', 0)").Scan(&got))
	require.Equal(t, 1, got)
	defer holder.ExecContext(context.Background(), "SELECT RELEASE_LOCK('secretpath_migrate')") //nolint:errcheck

	old := migrateLockSeconds
	migrateLockSeconds = 0
	t.Cleanup(func() { migrateLockSeconds = old })
	err = s.Migrate(t.Context())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "<nil>")
	assert.Contains(t, err.Error(), "another session held it for 0 s")
}
