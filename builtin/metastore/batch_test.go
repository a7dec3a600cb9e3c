package metastore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

// batchKinds are the kinds a batch looks up in the database, with the
// prefix of the ids seedNumbered gives them.
var batchKinds = []struct {
	kind   resolver.Kind
	prefix string
}{
	{resolver.KindConnection, "conn_"},
	{resolver.KindVariable, "var_"},
}

// seedNumbered imports n connections conn_<i> and n variables var_<i>.
func seedNumbered(t testing.TB, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	conns := make([]connection.Connection, 0, n)
	vars := make(map[string]string, n)
	for i := range n {
		c, err := connection.ParseURI(fmt.Sprintf("conn_%d", i), fmt.Sprintf("postgres://u%d:pw-%d@host%d:5432/db?sslmode=require", i, i, i))
		require.NoError(t, err)
		conns = append(conns, c)
		vars[fmt.Sprintf("var_%d", i)] = fmt.Sprintf("value-%d", i)
	}
	_, err := s.ImportConnections(ctx, conns, ImportOptions{})
	require.NoError(t, err)
	_, err = s.ImportVariables(ctx, vars, ImportOptions{})
	require.NoError(t, err)
}

// batchRequests returns requests of kind and team for ids prefix<0> to
// prefix<n-1>.
func batchRequests(kind resolver.Kind, prefix, team string, n int) []resolver.Request {
	reqs := make([]resolver.Request, n)
	for i := range reqs {
		reqs[i] = resolver.Request{Kind: kind, ID: fmt.Sprintf("%s%d", prefix, i), Team: team}
	}
	return reqs
}

// lookupBatch runs s.LookupBatch and returns its answers and how many
// queries it ran.
func lookupBatch(t *testing.T, s *Store, reqs []resolver.Request) ([]resolver.Answer, int64) {
	t.Helper()
	answers := make([]resolver.Answer, len(reqs))
	before := s.BatchQueries()
	s.LookupBatch(t.Context(), reqs, answers)
	return answers, s.BatchQueries() - before
}

// assertSingles checks that each answer is what s's single lookup of its
// request answers: Connection for connections, Lookup for the rest.
func assertSingles(t *testing.T, s *Store, reqs []resolver.Request, answers []resolver.Answer) {
	t.Helper()
	ctx := t.Context()
	for i, req := range reqs {
		a := answers[i]
		what := fmt.Sprintf("%s %q (team %q)", req.Kind, req.ID, req.Team)
		var want resolver.Answer
		if req.Kind == resolver.KindConnection {
			c, err := s.Connection(ctx, req)
			want = resolver.Answer{Conn: c, Fields: err == nil, Err: err}
		} else {
			v, err := s.Lookup(ctx, req)
			want = resolver.Answer{Value: v, Err: err}
		}
		if want.Err != nil {
			if assert.Error(t, a.Err, what) {
				assert.Equal(t, want.Err.Error(), a.Err.Error(), what)
				assert.Equal(t, errorsIsNotFound(want.Err), errorsIsNotFound(a.Err), what)
			}
			continue
		}
		if assert.NoError(t, a.Err, what) {
			assert.Equal(t, want, a, what)
		}
	}
}

func errorsIsNotFound(err error) bool { return errors.Is(err, resolver.ErrNotFound) }

// TestBatchOneQuery: 100 ids (20 missing, some of a team's rows, one of
// each kind undecryptable) take exactly one query per kind; each id is
// answered as alone, the undecryptable one failing by itself.
func TestBatchOneQuery(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			ctx := t.Context()
			s := openTeamStore(t, db.dsn(t), true, testKey)
			seedNumbered(t, s, 80)
			sqlDB, _, err := s.conn(ctx, false)
			require.NoError(t, err)
			d := s.t.d
			for i := 0; i < 80; i += 5 { // conn_0, conn_5 … of team_a, conn_1, conn_6 … of team_b
				for _, u := range []struct{ table, col string }{{"connection", "conn_id"}, {"variable", "`key`"}} {
					for team, id := range map[string]int{"team_a": i, "team_b": i + 1} {
						_, err := sqlDB.ExecContext(ctx, d.sql("UPDATE "+u.table+" SET team_name = ? WHERE "+u.col+" = ?"), team, fmt.Sprintf("%s_%d", map[string]string{"connection": "conn", "variable": "var"}[u.table], id))
						require.NoError(t, err)
					}
				}
			}
			_, err = sqlDB.ExecContext(ctx, d.sql("UPDATE connection SET password = ?, is_encrypted = ? WHERE conn_id = ?"), "not-a-fernet-token", true, "conn_12")
			require.NoError(t, err)
			_, err = sqlDB.ExecContext(ctx, d.sql("UPDATE variable SET val = ?, is_encrypted = ? WHERE `key` = ?"), "not-a-fernet-token", true, "var_12")
			require.NoError(t, err)

			for _, k := range batchKinds {
				t.Run(k.kind.String(), func(t *testing.T) {
					reqs := batchRequests(k.kind, k.prefix, "team_a", 100)
					answers, queries := lookupBatch(t, s, reqs)
					assert.EqualValues(t, 1, queries)
					for i, a := range answers {
						switch {
						case i >= 80 || i%5 == 1: // missing, or team_b's
							assert.ErrorIs(t, a.Err, resolver.ErrNotFound, reqs[i].ID)
						case i == 12:
							assert.ErrorContains(t, a.Err, fmt.Sprintf("%q", reqs[i].ID))
							assert.NotErrorIs(t, a.Err, resolver.ErrNotFound)
						default:
							assert.NoError(t, a.Err, reqs[i].ID)
							assert.Equal(t, k.kind == resolver.KindConnection, a.Fields, reqs[i].ID)
						}
					}
					assertSingles(t, s, reqs, answers)
				})
			}
		})
	}
}

// TestBatchChunks: 1,200 ids (half missing) take three queries of at most
// 500 ids, and are answered as alone.
func TestBatchChunks(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			s := openStore(t, db.dsn(t), testKey)
			seedNumbered(t, s, 600)
			for _, k := range batchKinds {
				t.Run(k.kind.String(), func(t *testing.T) {
					reqs := batchRequests(k.kind, k.prefix, "", 1200)
					answers, queries := lookupBatch(t, s, reqs)
					assert.EqualValues(t, 3, queries)
					for i, a := range answers {
						if i < 600 {
							assert.NoError(t, a.Err, reqs[i].ID)
						} else {
							assert.ErrorIs(t, a.Err, resolver.ErrNotFound, reqs[i].ID)
						}
					}
					assertSingles(t, s, reqs, answers)
				})
			}
		})
	}
}

// TestBatchTeams: a batch for team T answers T's rows and those of no
// team, never another team's, with team names compared exactly; with
// multi_team off, only rows of no team; ids compare as the single lookup
// compares them (MariaDB's PAD SPACE: "shared " finds "shared").
func TestBatchTeams(t *testing.T) {
	rows := map[string]string{"shared": "", "a_only": "team_a", "b_only": "team-b"}
	ids := []string{"shared", "a_only", "b_only", "absent", "shared ", "a_only "}
	tests := []struct {
		name     string
		multiOff bool
		team     string
		found    []string // of ids[:4]
	}{
		{name: "no team", found: []string{"shared"}},
		{name: "team_a", team: "team_a", found: []string{"shared", "a_only"}},
		{name: "hyphenated team", team: "team-b", found: []string{"shared", "b_only"}},
		{name: "exact names", team: "team_b", found: []string{"shared"}},
		{name: "case-sensitive names", team: "TEAM_A", found: []string{"shared"}},
		{name: "trailing spaces count", team: "team_a   ", found: []string{"shared"}},
		{name: "multi_team off", multiOff: true, team: "team_a", found: []string{"shared"}},
	}
	const airflowColumn = "mariadb, team_name of the table's collation"
	for _, db := range append(databases, database{name: airflowColumn, dsn: mysqlDSN}) {
		t.Run(db.name, func(t *testing.T) {
			dsn := db.dsn(t)
			on, off := openTeamStore(t, dsn, true), openTeamStore(t, dsn, false)
			seedTeams(t, on, rows)
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
					for _, k := range batchKinds {
						reqs := make([]resolver.Request, len(ids))
						for i, id := range ids {
							reqs[i] = resolver.Request{Kind: k.kind, ID: id, Team: tt.team}
						}
						answers, queries := lookupBatch(t, s, reqs)
						assert.EqualValues(t, 1, queries)
						for i, id := range ids[:4] {
							if slices.Contains(tt.found, id) {
								assert.NoError(t, answers[i].Err, "%s %q", k.kind, id)
							} else {
								assert.ErrorIs(t, answers[i].Err, resolver.ErrNotFound, "%s %q", k.kind, id)
							}
						}
						assertSingles(t, s, reqs, answers)
					}
				})
			}
		})
	}
}

// TestBatchPrefersTeamRow: in a database whose conn_id is not unique (not
// Airflow's schema, nor ours), an id with a row of the team and one of no
// team is answered from the team's, by the batch and the single lookup
// alike; without a team, from the row of no team.
func TestBatchPrefersTeamRow(t *testing.T) {
	tests := []struct {
		team  string
		hosts map[string]string // id -> host answered
	}{
		{team: "", hosts: map[string]string{"dup": "none", "dup2": "none2"}},
		{team: "team_a", hosts: map[string]string{"dup": "a", "dup2": "none2"}},
		{team: "team_b", hosts: map[string]string{"dup": "none", "dup2": "b"}},
	}
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			ctx := t.Context()
			dsn := db.dsn(t)
			setup := openTeamStore(t, dsn, true)
			sqlDB, _, err := setup.conn(ctx, true)
			require.NoError(t, err)
			d := setup.t.d
			idType := "VARCHAR(250)"
			if d == dialectMySQL {
				idType += " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
			}
			for _, q := range []string{
				"DROP TABLE connection",
				"CREATE TABLE connection (id INTEGER, conn_id " + idType + " NOT NULL, conn_type VARCHAR(500) NOT NULL, description TEXT," +
					" host VARCHAR(500), `schema` VARCHAR(500), login TEXT, password TEXT, port INTEGER, is_encrypted BOOLEAN," +
					" is_extra_encrypted BOOLEAN, extra TEXT, team_name " + d.teamColumn + ")",
			} {
				_, err := sqlDB.ExecContext(ctx, d.sql(q))
				require.NoError(t, err, q)
			}
			// Rows of no team first, as a table scan would find them.
			for _, r := range [][3]any{{"dup", "none", nil}, {"dup", "a", "team_a"}, {"dup2", "none2", nil}, {"dup2", "b", "team_b"}} {
				_, err := sqlDB.ExecContext(ctx, d.sql("INSERT INTO connection (conn_id, conn_type, host, team_name) VALUES (?, ?, ?, ?)"), r[0], "http", r[1], r[2])
				require.NoError(t, err)
			}
			require.NoError(t, setup.Close())

			s := openTeamStore(t, dsn, true)
			for _, tt := range tests {
				t.Run("team "+tt.team, func(t *testing.T) {
					reqs := []resolver.Request{{Kind: resolver.KindConnection, ID: "dup", Team: tt.team}, {Kind: resolver.KindConnection, ID: "dup2", Team: tt.team}}
					answers, _ := lookupBatch(t, s, reqs)
					for i, req := range reqs {
						require.NoError(t, answers[i].Err, req.ID)
						assert.Equal(t, tt.hosts[req.ID], answers[i].Conn.Host, req.ID)
					}
					assertSingles(t, s, reqs, answers)
				})
			}
		})
	}
}

// TestBatchNoDatabase: a default database that does not exist yet holds
// nothing: every id is not found, and nothing is created.
func TestBatchNoDatabase(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir()})
	require.NoError(t, err)
	defer s.Close()
	for _, k := range append(batchKinds, struct {
		kind   resolver.Kind
		prefix string
	}{resolver.KindConfig, "cfg_"}) {
		reqs := batchRequests(k.kind, k.prefix, "", 3)
		answers, queries := lookupBatch(t, s, reqs)
		assert.Zero(t, queries)
		for i := range answers {
			assert.ErrorIs(t, answers[i].Err, resolver.ErrNotFound, reqs[i].ID)
		}
		assertSingles(t, s, reqs, answers)
	}
	assert.NoFileExists(t, s.Path())
}

// BenchmarkLookupBatch100: 100 connections (and 100 variables) in one
// LookupBatch against 100 single lookups, in an SQLite database of 1,000
// of each.
func BenchmarkLookupBatch100(b *testing.B) {
	s := openStore(b, sqliteDSN(b), testKey)
	seedNumbered(b, s, 1000)
	ctx := b.Context()
	for _, k := range batchKinds {
		reqs := batchRequests(k.kind, k.prefix, "", 100)
		answers := make([]resolver.Answer, len(reqs))
		b.Run(k.kind.String()+"/batch", func(b *testing.B) {
			for b.Loop() {
				s.LookupBatch(ctx, reqs, answers)
				if answers[99].Err != nil {
					b.Fatal(answers[99].Err)
				}
			}
		})
		b.Run(k.kind.String()+"/singles", func(b *testing.B) {
			for b.Loop() {
				for _, req := range reqs {
					var err error
					if k.kind == resolver.KindConnection {
						_, err = s.Connection(ctx, req)
					} else {
						_, err = s.Lookup(ctx, req)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// TestBatchQueryShapes: batches of 1 to 100 ids prepare 8 query texts
// (id lists padded to 1, 2, 4 … 128), not 100, in a PostgreSQL session,
// where pgx prepares and caches every query text it runs.
func TestBatchQueryShapes(t *testing.T) {
	s := openStore(t, postgresDSN(t), testKey)
	seedNumbered(t, s, 10)
	sqlDB, _, err := s.conn(t.Context(), false)
	require.NoError(t, err)
	sqlDB.SetMaxOpenConns(1) // one session: its prepared statements are all of them
	for n := 1; n <= 100; n++ {
		answers, queries := lookupBatch(t, s, batchRequests(resolver.KindVariable, "var_", "", n))
		require.EqualValues(t, 1, queries)
		for i, a := range answers {
			if i < 10 {
				require.NoError(t, a.Err)
			}
		}
	}
	var shapes int
	require.NoError(t, sqlDB.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT \"key\", val, is_encrypted FROM variable WHERE \"key\" IN (%'").Scan(&shapes))
	assert.Equal(t, 8, shapes)
}

// TestBatchUnbindableID: an id PostgreSQL cannot bind (a NUL byte, invalid
// UTF-8) is looked up alone, on every database: it gets the single
// lookup's answer, and the other ids of its batch are answered by the one
// query as if it were not there (it used to fail them all, SQLSTATE 22021).
func TestBatchUnbindableID(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			s := openStore(t, db.dsn(t), testKey)
			seedNumbered(t, s, 2)
			for _, k := range batchKinds {
				for _, bad := range []string{k.prefix + "0\x00", k.prefix + "0\xff", "\x00"} {
					t.Run(fmt.Sprintf("%s %q", k.kind, bad), func(t *testing.T) {
						reqs := []resolver.Request{
							{Kind: k.kind, ID: k.prefix + "0"},
							{Kind: k.kind, ID: bad},
							{Kind: k.kind, ID: k.prefix + "1"},
							{Kind: k.kind, ID: k.prefix + "missing"},
						}
						answers, queries := lookupBatch(t, s, reqs)
						assert.Equal(t, int64(1), queries, "the other ids in one query")
						assertSingles(t, s, reqs, answers)
						for _, i := range []int{0, 2} {
							assert.NoError(t, answers[i].Err, "%q is found despite %q", reqs[i].ID, bad)
						}
						assert.ErrorIs(t, answers[3].Err, resolver.ErrNotFound)
					})
				}
			}
		})
	}
}
