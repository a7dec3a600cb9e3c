package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/metastore"
)

// TestTeamFlagMetastore: --team reaches the metastore tier, which reads the
// row whose team_name is the team or NULL, as Airflow's MetastoreBackend.
func TestTeamFlagMetastore(t *testing.T) {
	freshHome(t)
	for _, k := range []string{"AIRFLOW__CORE__MULTI_TEAM", "AIRFLOW_VAR_TK", "AIRFLOW_VAR_GK", "AIRFLOW_VAR__TEAM-A___TK"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "airflow.db")
	cfg := writeFile(t, dir, "airflow.cfg", "[core]\nmulti_team = True\n[database]\nsql_alchemy_conn = sqlite:///"+dbPath+"\n")

	s, err := metastore.Open(metastore.Options{DSN: "sqlite:///" + dbPath})
	require.NoError(t, err)
	require.NoError(t, s.SetVariable(t.Context(), "tk", "team value", ""))
	require.NoError(t, s.SetVariable(t.Context(), "gk", "global value", ""))
	require.NoError(t, s.Close())
	db, err := sql.Open("sqlite", dbPath)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE variable SET team_name = 'team-a' WHERE "key" = 'tk'`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		has    string
	}{
		{name: "the team's row", args: []string{"variables", "get", "tk", "--team", "team-a"}, stdout: "team value\n"},
		{name: "a row of no team, for a team", args: []string{"variables", "get", "gk", "--team", "team-a"}, stdout: "global value\n"},
		{name: "the team's row without a team", args: []string{"variables", "get", "tk"}, code: 1},
		{name: "the team's row for another team", args: []string{"variables", "get", "tk", "--team", "team-b"}, code: 1},
		{name: "explain", args: []string{"variables", "get", "tk", "--team", "team-a", "--explain"}, has: `table variable, key "tk" with team_name "team-a" or NULL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, nil, append([]string{"--config", cfg}, tt.args...)...)
			assert.Equal(t, tt.code, res.code, "stderr: %s", res.stderr)
			if tt.has != "" {
				assert.Contains(t, res.stdout, tt.has)
				return
			}
			assert.Equal(t, tt.stdout, res.stdout)
		})
	}
}
