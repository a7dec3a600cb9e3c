package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTeamFlag: --team on connections get and variables get. Hyphenated
// environment names are set with os.Setenv (t.Setenv): no shell can
// export them.
func TestTeamFlag(t *testing.T) {
	freshHome(t)
	dir := t.TempDir()
	on := writeFile(t, dir, "on.cfg", "[core]\nmulti_team = True\n")
	off := writeFile(t, dir, "off.cfg", "[core]\nmulti_team = False\n")
	unset := writeFile(t, dir, "unset.cfg", "[core]\n")
	bad := writeFile(t, dir, "bad.cfg", "[core]\nmulti_team = maybe\n")
	t.Setenv("AIRFLOW_VAR__TEAM-A___K", "team-a value")
	t.Setenv("AIRFLOW_VAR__TEAM_A___K", "team_a value")
	t.Setenv("AIRFLOW_VAR_K", "global value")
	t.Setenv("AIRFLOW_VAR_ONLYGLOBAL", "global only")
	t.Setenv("AIRFLOW_CONN__TEAM-A___MY-DB", "postgres://team-host/db")
	t.Setenv("AIRFLOW_CONN_MY-DB", "postgres://global-host/db")
	t.Setenv("AIRFLOW__CORE__MULTI_TEAM", "")
	os.Unsetenv("AIRFLOW__CORE__MULTI_TEAM")

	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		code     int
		stdout   string
		has      []string // each is in stdout (stdout is then not compared whole)
		stderr   []string // each is in stderr
		noStderr string
	}{
		{name: "team variable", args: []string{"--config", on, "variables", "get", "k", "--team", "team-a"}, stdout: "team-a value\n"},
		{name: "team name with one underscore", args: []string{"--config", on, "variables", "get", "k", "--team", "team_a"}, stdout: "team_a value\n"},
		{name: "falls back to the global variable", args: []string{"--config", on, "variables", "get", "onlyglobal", "--team", "team-a"}, stdout: "global only\n"},
		{name: "no --team reads the global variable", args: []string{"--config", on, "variables", "get", "k"}, stdout: "global value\n"},
		{name: "another team falls back to global", args: []string{"--config", on, "variables", "get", "k", "--team", "team-b"}, stdout: "global value\n"},
		{name: "namespace-shaped id refused with multi_team", args: []string{"--config", on, "variables", "get", "_team-a___k"}, code: 1, stderr: []string{"not found"}},
		{name: "namespace-shaped id ordinary without multi_team", args: []string{"--config", unset, "variables", "get", "_team-a___k"}, stdout: "team-a value\n"},
		{name: "team connection", args: []string{"--config", on, "connections", "get", "my-db", "--team", "team-a"}, stdout: "postgres://team-host/db\n"},
		{name: "global connection", args: []string{"--config", on, "connections", "get", "my-db"}, stdout: "postgres://global-host/db\n"},
		{name: "explain names the team's variable first", args: []string{"--config", on, "variables", "get", "k", "--team", "team-a", "--explain"},
			has: []string{`variable "k" for team "team-a": found in env`, `$AIRFLOW_VAR__TEAM-A___K (team "team-a"), then $AIRFLOW_VAR_K`}},
		{name: "multi_team from the environment", env: map[string]string{"AIRFLOW__CORE__MULTI_TEAM": "true"}, args: []string{"--config", unset, "variables", "get", "k", "--team", "team-a"}, stdout: "team-a value\n"},
		{name: "multi_team off is a usage error", args: []string{"--config", off, "variables", "get", "k", "--team", "team-a"}, code: 2,
			stderr: []string{"--team needs [core] multi_team = True", "off.cfg:2"}, noStderr: "value"},
		{name: "multi_team unset is a usage error", args: []string{"--config", unset, "connections", "get", "my-db", "--team", "team-a"}, code: 2,
			stderr: []string{"--team needs [core] multi_team = True", "unset.cfg does not set it"}, noStderr: "postgres"},
		{name: "multi_team not a boolean", args: []string{"--config", bad, "variables", "get", "k", "--team", "team-a"}, code: 2,
			stderr: []string{"bad.cfg:2", "multi_team"}, noStderr: "maybe"},
		{name: "invalid team name", args: []string{"--config", on, "variables", "get", "k", "--team", "team__a"}, code: 2,
			stderr: []string{`--team "team__a" is not a team name`}},
		{name: "too short team name", args: []string{"--config", on, "variables", "get", "k", "--team", "ab"}, code: 2,
			stderr: []string{"is not a team name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			res := runCLI(t, nil, tt.args...)
			assert.Equal(t, tt.code, res.code, "stderr: %s", res.stderr)
			if tt.has != nil {
				for _, s := range tt.has {
					assert.Contains(t, res.stdout, s)
				}
				assert.NotContains(t, res.stdout, "value", "--explain prints no value")
			} else {
				assert.Equal(t, tt.stdout, res.stdout)
			}
			for _, s := range tt.stderr {
				assert.Contains(t, res.stderr, s)
			}
			if tt.noStderr != "" {
				assert.NotContains(t, res.stderr, tt.noStderr)
			}
		})
	}
}
