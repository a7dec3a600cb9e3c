package env

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// Vectors ported from newest Airflow's
// TestEnvironmentVariablesBackendTeamScope (team-a and teama, a team
// "team_a" with one underscore as its TEAM_NAME_PATTERN allows), run for
// connections and variables, with [core] multi_team on unless a row says
// otherwise.
func TestTeamScope(t *testing.T) {
	const teamValue, globalValue = "http://team-scoped", "http://team-agnostic"
	type row struct {
		name     string
		env      map[string]string // names without the kind's prefix
		id, team string
		multiOff bool
		want     string // "" means not found
	}
	var rows []row
	for _, team := range []string{"team-a", "teama", "team_a"} {
		tn := "_" + upper(team) + "___DBCONN"
		rows = append(rows,
			row{name: team + "/scoped secret not read without a team", env: map[string]string{tn: teamValue}, id: "_" + team + "___dbconn"},
			row{name: team + "/scoped secret not read for another team", env: map[string]string{tn: teamValue}, id: "_" + team + "___dbconn", team: "team-b"},
			row{name: team + "/scoped secret read for its own team", env: map[string]string{tn: teamValue}, id: "dbconn", team: team, want: teamValue},
			row{name: team + "/id spelling a namespace never read, even by its team", env: map[string]string{tn: teamValue}, id: "_" + team + "___dbconn", team: team},
			row{name: team + "/team secret wins over global", env: map[string]string{tn: teamValue, "DBCONN": globalValue}, id: "dbconn", team: team, want: teamValue},
			row{name: team + "/global read for the team", env: map[string]string{"DBCONN": globalValue}, id: "dbconn", team: team, want: globalValue},
			row{name: team + "/empty team value falls back", env: map[string]string{tn: "", "DBCONN": globalValue}, id: "dbconn", team: team, want: globalValue},
			row{name: team + "/unset", id: "dbconn", team: team},
			row{name: team + "/an id that cannot name a team is read: _a___b", env: map[string]string{"_A___B": globalValue}, id: "_a___b", team: team, want: globalValue},
			row{name: team + "/an id that cannot name a team is read: _ab___x", env: map[string]string{"_AB___X": globalValue}, id: "_ab___x", team: team, want: globalValue},
		)
	}
	rows = append(rows,
		row{name: "global read without a team", env: map[string]string{"DBCONN": globalValue}, id: "dbconn", want: globalValue},
		row{name: "_a___b read without a team", env: map[string]string{"_A___B": globalValue}, id: "_a___b", want: globalValue},
		row{name: "a team name cannot span the separator: other team", env: map[string]string{"_TEAM-A___PROD___DBCONN": teamValue}, id: "_team-a___prod___dbconn", team: "team-b"},
		row{name: "a team name cannot span the separator: no team", env: map[string]string{"_TEAM-A___PROD___DBCONN": teamValue}, id: "_team-a___prod___dbconn"},
		row{name: "a team name cannot span the separator: its owner", env: map[string]string{"_TEAM-A___PROD___DBCONN": teamValue}, id: "prod___dbconn", team: "team-a", want: teamValue},
		row{name: "two underscores is no team name", env: map[string]string{"_TEAM__X___DBCONN": globalValue}, id: "_team__x___dbconn", want: globalValue},
		row{name: "separator with nothing after is no namespace", env: map[string]string{"_TEAM-A___": globalValue}, id: "_team-a___", want: globalValue},
		// multi_team off (PR #71079): the team is not read, the guard is off.
		row{name: "multi_team off/team ignored", multiOff: true, env: map[string]string{"_TEAM-A___DBCONN": teamValue, "DBCONN": globalValue}, id: "dbconn", team: "team-a", want: globalValue},
		row{name: "multi_team off/team only: not found", multiOff: true, env: map[string]string{"_TEAM-A___DBCONN": teamValue}, id: "dbconn", team: "team-a"},
		row{name: "multi_team off/namespace-shaped id is ordinary", multiOff: true, env: map[string]string{"_TEAM-A___DBCONN": teamValue}, id: "_team-a___dbconn", want: teamValue},
	)
	for _, kind := range []struct {
		kind   resolver.Kind
		prefix string
	}{{resolver.KindConnection, "AIRFLOW_CONN_"}, {resolver.KindVariable, "AIRFLOW_VAR_"}} {
		for _, tt := range rows {
			t.Run(kind.kind.String()+"/"+tt.name, func(t *testing.T) {
				env := map[string]string{}
				for k, v := range tt.env {
					env[kind.prefix+k] = v
				}
				b := New(Options{MultiTeam: !tt.multiOff, LookupEnv: mapEnv(env)})
				got, err := b.Lookup(t.Context(), resolver.Request{Kind: kind.kind, ID: tt.id, Team: tt.team})
				if tt.want == "" {
					assert.ErrorIs(t, err, resolver.ErrNotFound)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			})
		}
	}
}

func TestValidTeam(t *testing.T) {
	for name, want := range map[string]bool{
		"team_a": true, "team-a": true, "teama": true, "a-b-c": true, "x_y_z": true, "abc": true,
		"team_a___prod": false, "a___b": false, "team__x": false, "___": false, "ab": false, "a": false, "": false,
		"team a": false, "team.a": false, "tëam": false, "team\n": false,
		strings.Repeat("a", 51): false, strings.Repeat("a", 50): true,
	} {
		assert.Equal(t, want, ValidTeam(name), "%q", name)
	}
}

// TestTeamOSEnv reads hyphenated names from the process environment (no
// shell could export them), multi_team set in the config as a user would.
func TestTeamOSEnv(t *testing.T) {
	t.Setenv("AIRFLOW_VAR__TEAM-A___K", "team value")
	t.Setenv("AIRFLOW_VAR_K", "global value")
	t.Setenv("AIRFLOW_VAR_ONLYGLOBAL", "global only")
	t.Setenv("AIRFLOW_CONN__TEAM-A___MY-CONN", "http://team")
	tests := []struct {
		name, cfg, id, team, want string
		kind                      resolver.Kind
	}{
		{name: "team variable", cfg: "[core]\nmulti_team = True\n", id: "k", team: "team-a", want: "team value", kind: resolver.KindVariable},
		{name: "falls back to the global variable", cfg: "[core]\nmulti_team = True\n", id: "onlyglobal", team: "team-a", want: "global only", kind: resolver.KindVariable},
		{name: "no team: global", cfg: "[core]\nmulti_team = True\n", id: "k", want: "global value", kind: resolver.KindVariable},
		{name: "team connection, hyphenated id", cfg: "[core]\nmulti_team = True\n", id: "my-conn", team: "team-a", want: "http://team", kind: resolver.KindConnection},
		{name: "multi_team off: the team is not read", cfg: "[core]\n", id: "k", team: "team-a", want: "global value", kind: resolver.KindVariable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse("airflow.cfg", []byte(tt.cfg), nil)
			require.NoError(t, err)
			b, err := open(context.Background(), resolver.Env{Config: cfg, Kwargs: emptyKwargs(t)})
			require.NoError(t, err)
			got, err := b.Lookup(t.Context(), resolver.Request{Kind: tt.kind, ID: tt.id, Team: tt.team})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMultiTeamNotBoolean(t *testing.T) {
	cfg, err := config.Parse("airflow.cfg", []byte("[core]\nmulti_team = sure\n"), nil)
	require.NoError(t, err)
	_, err = open(context.Background(), resolver.Env{Config: cfg, Kwargs: emptyKwargs(t)})
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "airflow.cfg:2")
}

func TestDescribeTeam(t *testing.T) {
	b := New(Options{MultiTeam: true, LookupEnv: mapEnv(nil)})
	assert.Equal(t, `$AIRFLOW_VAR__TEAM-A___K (team "team-a"), then $AIRFLOW_VAR_K ("k" upper-cased)`,
		b.Describe(resolver.Request{Kind: resolver.KindVariable, ID: "k", Team: "team-a"}))
	assert.Equal(t, `no global lookup ("_team-a___k" spells a team namespace, _<TEAM>___<ID>)`,
		b.Describe(resolver.Request{Kind: resolver.KindVariable, ID: "_team-a___k"}))
	off := New(Options{LookupEnv: mapEnv(nil)})
	assert.Equal(t, `$AIRFLOW_VAR_K ("k" upper-cased)`, off.Describe(resolver.Request{Kind: resolver.KindVariable, ID: "k", Team: "team-a"}))
}

func emptyKwargs(t *testing.T) *config.Kwargs {
	t.Helper()
	kw, err := config.ParseKwargs(nil)
	require.NoError(t, err)
	return kw
}
