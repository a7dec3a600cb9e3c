package azurekeyvault_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestTeamScope: vectors ported from newest Airflow's AzureKeyVaultBackend
// team tests (PR #65692 and the follow-ups #70876, #70899, #71078,
// #71106), run on the wire. The vault holds stored; a lookup of
// kind/id for team must ask for exactly asked, in order (no request at
// all when asked is empty), and answer want ("" = not found).
func TestTeamScope(t *testing.T) {
	const teamValue, globalValue = "http://team-scoped", "http://team-agnostic"
	tests := []struct {
		name     string
		multiOff bool
		kw       map[string]any
		stored   map[string]string
		kind     resolver.Kind
		id, team string
		asked    []string
		want     string
		wantErr  error // when not resolver.ErrNotFound
	}{
		// test_get_conn_value_uses_team_specific_secret_first
		{name: "team secret first", stored: map[string]string{"airflow-connections-team-a--my-db": teamValue, "airflow-connections-my-db": globalValue},
			kind: resolver.KindConnection, id: "my_db", team: "team_a",
			asked: []string{"airflow-connections-team-a--my-db"}, want: teamValue},
		// test_get_variable_falls_back_to_global_secret_when_team_secret_is_missing
		{name: "global when the team secret is missing", stored: map[string]string{"airflow-variables-hello": globalValue},
			kind: resolver.KindVariable, id: "hello", team: "team_a",
			asked: []string{"airflow-variables-team-a--hello", "airflow-variables-hello"}, want: globalValue},
		{name: "neither: not found after both", kind: resolver.KindVariable, id: "absent", team: "team_a",
			asked: []string{"airflow-variables-team-a--absent", "airflow-variables-absent"}},
		// PR #65692's review: the team lookup keeps the kind's prefix.
		{name: "custom prefix kept", kw: map[string]any{"variables_prefix": "af_vars"}, stored: map[string]string{"af-vars-team-a--hello": teamValue},
			kind: resolver.KindVariable, id: "hello", team: "team_a",
			asked: []string{"af-vars-team-a--hello"}, want: teamValue},
		{name: "empty prefix: team--id", kw: map[string]any{"connections_prefix": ""}, stored: map[string]string{"team-a--my-db": teamValue},
			kind: resolver.KindConnection, id: "my_db", team: "team_a",
			asked: []string{"team-a--my-db"}, want: teamValue},
		{name: "custom sep maps team and id", kw: map[string]any{"sep": "x0"}, stored: map[string]string{"airflow-connectionsx0teamx0a--myx0db": teamValue},
			kind: resolver.KindConnection, id: "my_db", team: "team_a",
			asked: []string{"airflow-connectionsx0teamx0a--myx0db"}, want: teamValue},
		// Airflow maps '_' to sep in the team too: team_a and team-a read one secret.
		{name: "hyphenated team, same name", stored: map[string]string{"airflow-connections-team-a--my-db": teamValue},
			kind: resolver.KindConnection, id: "my_db", team: "team-a",
			asked: []string{"airflow-connections-team-a--my-db"}, want: teamValue},
		// test_get_variable_returns_none_for_team_scoped_key_without_team_name
		{name: "team-scoped id without a team: no request", stored: map[string]string{"airflow-variables-teama--hello": teamValue},
			kind: resolver.KindVariable, id: "teama--hello"},
		// PR #70876: the id spelling another team's namespace is refused with a team too.
		{name: "another team's namespace: no request", stored: map[string]string{"airflow-connections-team-a--my-db": teamValue},
			kind: resolver.KindConnection, id: "team_a__my_db", team: "team_b"},
		{name: "another team's namespace spelled with dashes: no request", stored: map[string]string{"airflow-connections-team-a--my-db": teamValue},
			kind: resolver.KindConnection, id: "team-a--my-db", team: "team_b"},
		// Team team_a--prod's secret conn is team_a's prod__conn too: refused.
		{name: "a team whose name extends the caller's: no request", stored: map[string]string{"airflow-connections-team-a--prod--conn": teamValue},
			kind: resolver.KindConnection, id: "prod__conn", team: "team_a"},
		{name: "ambiguous id refused even for its own team", stored: map[string]string{"airflow-connections-team-a--prod--my-db": teamValue},
			kind: resolver.KindConnection, id: "prod--my_db", team: "team_a"},
		// secretpath's: team_a's _my_db would be team_a-'s my_db (team-a---my-db).
		{name: "an id with a leading underscore is refused for a team", stored: map[string]string{"airflow-connections-team-a---my-db": teamValue},
			kind: resolver.KindConnection, id: "_my_db", team: "team_a"},
		{name: "an id with a leading dash is read without a team", stored: map[string]string{"airflow-connections--lead": globalValue},
			kind: resolver.KindConnection, id: "-lead",
			asked: []string{"airflow-connections--lead"}, want: globalValue},
		// PR #70899: get_config refuses the ambiguous id too.
		{name: "config with the separator: no request", stored: map[string]string{"airflow-config-some--option": globalValue},
			kind: resolver.KindConfig, id: "some__option"},
		// A config has no team: its global name alone.
		{name: "config: the team is not read", stored: map[string]string{"airflow-config-team-a--k": teamValue, "airflow-config-k": globalValue},
			kind: resolver.KindConfig, id: "k", team: "team_a",
			asked: []string{"airflow-config-k"}, want: globalValue},
		// Only a 404 falls through: the team secret's 403 is the lookup's answer.
		{name: "403 on the team secret: no fallback", stored: map[string]string{"airflow-connections-team-a--denied": teamValue, "airflow-connections-denied": globalValue},
			kind: resolver.KindConnection, id: "denied", team: "team_a",
			asked: []string{"airflow-connections-team-a--denied"}, wantErr: resolver.ErrPermissionDenied},
		// A team name Key Vault cannot hold is left out; the global one is read.
		{name: "team name Key Vault cannot hold: global only", stored: map[string]string{"airflow-connections-my-db": globalValue},
			kind: resolver.KindConnection, id: "my_db", team: "team a",
			asked: []string{"airflow-connections-my-db"}, want: globalValue},
		// multi_team off (PR #71078, #71106): the team is not read and an
		// id with the separator is an ordinary id.
		{name: "multi_team off: team ignored", multiOff: true, stored: map[string]string{"airflow-connections-team-a--my-db": teamValue, "airflow-connections-my-db": globalValue},
			kind: resolver.KindConnection, id: "my_db", team: "team_a",
			asked: []string{"airflow-connections-my-db"}, want: globalValue},
		{name: "multi_team off: ambiguous id resolves", multiOff: true, stored: map[string]string{"airflow-connections-prod--my-db": globalValue},
			kind: resolver.KindConnection, id: "prod--my_db",
			asked: []string{"airflow-connections-prod--my-db"}, want: globalValue},
		{name: "multi_team off: prod__hello resolves", multiOff: true, stored: map[string]string{"airflow-variables-prod--hello": globalValue},
			kind: resolver.KindVariable, id: "prod__hello",
			asked: []string{"airflow-variables-prod--hello"}, want: globalValue},
	}
	// One vault for all rows: every row stores under names of its own.
	f := newFake(t)
	f.AddFault(azurefake.Fault{Name: "airflow-connections-team-a--denied", Status: 403, Code: "Forbidden", Inner: "AccessDenied", Message: "no get permission"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, v := range tt.stored {
				f.SetSecret(name, v)
			}
			cfg := "[core]\nmulti_team = True\n"
			if tt.multiOff {
				cfg = "[core]\nmulti_team = False\n"
			}
			b := mustOpenConfig(t, fakeKwargs(t, f, tt.kw), cfg, nil)
			f.ResetRequests()
			got, err := b.Lookup(t.Context(), resolver.Request{Kind: tt.kind, ID: tt.id, Team: tt.team})
			assert.Equal(t, tt.asked, unique(f.Names(azurefake.KindGetSecret)), "secrets asked for, in order")
			switch {
			case tt.wantErr != nil:
				require.ErrorIs(t, err, tt.wantErr)
				assert.NotErrorIs(t, err, resolver.ErrNotFound)
			case tt.want == "":
				require.ErrorIs(t, err, resolver.ErrNotFound)
			default:
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
			names, err := b.SecretNames(resolver.Request{Kind: tt.kind, ID: tt.id, Team: tt.team})
			if len(tt.asked) == 0 {
				require.ErrorIs(t, err, resolver.ErrNotFound)
				return
			}
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(names), len(tt.asked))
			assert.Equal(t, tt.asked, names[:len(tt.asked)], "Lookup asks for SecretNames in order")
		})
	}
}

// TestTeamRefusalLogged: a refused ambiguous id is logged as a warning
// naming the id (Airflow's test_refusing_an_ambiguous_id_is_logged), for
// connections, variables and configs, with no request.
func TestTeamRefusalLogged(t *testing.T) {
	f := newFake(t)
	for _, kind := range []resolver.Kind{resolver.KindConnection, resolver.KindVariable, resolver.KindConfig} {
		t.Run(kind.String(), func(t *testing.T) {
			var logs bytes.Buffer
			b := openWithLogger(t, fakeKwargs(t, f, nil), "[core]\nmulti_team = True\n", slog.New(slog.NewTextHandler(&logs, nil)))
			f.ResetRequests()
			_, err := b.Lookup(t.Context(), resolver.Request{Kind: kind, ID: "prod--my_db", Team: "team_a"})
			require.ErrorIs(t, err, resolver.ErrNotFound)
			assert.Zero(t, f.Count(""), "no request")
			assert.Contains(t, logs.String(), "level=WARN")
			assert.Contains(t, logs.String(), "ambiguous id, not looked up")
			assert.Contains(t, logs.String(), "id=prod--my_db")
		})
	}
}

// TestDescribeTeam: Explain shows both secrets a team's lookup asks for,
// and the refusal of an ambiguous id.
func TestDescribeTeam(t *testing.T) {
	f := newFake(t)
	b := mustOpenConfig(t, fakeKwargs(t, f, nil), "[core]\nmulti_team = True\n", nil)
	for _, tt := range []struct {
		req  resolver.Request
		want string
	}{
		{resolver.Request{Kind: resolver.KindConnection, ID: "my_db", Team: "team_a"},
			`secret "airflow-connections-team-a--my-db" (team "team_a"), then secret "airflow-connections-my-db"`},
		{resolver.Request{Kind: resolver.KindVariable, ID: "hello"}, `secret "airflow-variables-hello"`},
		{resolver.Request{Kind: resolver.KindConfig, ID: "k", Team: "team_a"}, `secret "airflow-config-k"`},
		{resolver.Request{Kind: resolver.KindConnection, ID: "team_b__db", Team: "team_a"},
			`no request (not found: id "team_b__db": once mapped, holds "--"`},
	} {
		assert.Contains(t, b.Describe(tt.req), tt.want, "%+v", tt.req)
	}
	assert.Zero(t, f.Count(""), "Describe makes no request")
}

// openWithLogger opens the backend through the registry with cfg as
// airflow.cfg and logger as the factory's logger.
func openWithLogger(t *testing.T, kw map[string]any, cfg string, logger *slog.Logger) resolver.Backend {
	t.Helper()
	raw, err := json.Marshal(kw)
	require.NoError(t, err)
	kwargs, err := config.ParseKwargs(raw)
	require.NoError(t, err)
	file, err := config.Parse("airflow.cfg", []byte(cfg), nil)
	require.NoError(t, err)
	b, err := resolver.OpenBackend(t.Context(), "azure-key-vault", resolver.Env{Kwargs: kwargs, Config: file, Logger: logger})
	require.NoError(t, err)
	return b
}
