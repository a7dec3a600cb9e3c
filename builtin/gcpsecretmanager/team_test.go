package gcpsecretmanager_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/gcpsecretmanager"
	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// Airflow's TestCloudSecretManagerBackendTeamScope names.
const (
	connPrefix = "test-connections"
	varPrefix  = "test-variables"
	cfgPrefix  = "test-config"
	connID     = "test-postgres"
	connURI    = "postgresql://airflow:airflow@host:5432/airflow"
	varKey     = "hello"
	varValue   = "world"
)

// openTeam opens the backend through the registry against f with
// Airflow's test prefixes, cfg as airflow.cfg and logs into logs (may be
// nil).
func openTeam(t *testing.T, f *gcpfake.Server, cfg string, logs *logBuffer) resolver.Backend {
	t.Helper()
	raw, err := json.Marshal(fakeKwargs(f, map[string]any{
		"connections_prefix": connPrefix, "variables_prefix": varPrefix, "config_prefix": cfgPrefix,
		"project_id": gcpfake.ProjectID,
	}))
	require.NoError(t, err)
	kwargs, err := config.ParseKwargs(raw)
	require.NoError(t, err)
	file, err := config.Parse("airflow.cfg", []byte(cfg), nil)
	require.NoError(t, err)
	env := resolver.Env{Kwargs: kwargs, Config: file}
	if logs != nil {
		env.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	b, err := resolver.OpenBackend(t.Context(), gcpsecretmanager.Name, env)
	require.NoError(t, err)
	return b
}

// askedSecrets is the secret ids Secret Manager was asked for, in order,
// a retried request counted once.
func askedSecrets(f *gcpfake.Server) []string {
	var out []string
	for _, r := range f.RequestsTo(gcpfake.APISecretManager) {
		if len(out) == 0 || out[len(out)-1] != r.Secret {
			out = append(out, r.Secret)
		}
	}
	return out
}

// TestTeamScope: newest Airflow's TestCloudSecretManagerBackendTeamScope
// (PR #70869, gated on multi_team by PR #71078) as vectors, on the wire.
// The project holds stored; a lookup of kind/id for team must ask for
// exactly asked, in order (nothing when asked is empty), and answer want
// ("" = not found).
func TestTeamScope(t *testing.T) {
	const team, otherTeam, extendingTeam = "team_a", "team_b", "team_a--prod"
	tests := []struct {
		name     string
		multiOff bool
		stored   map[string]string
		kind     resolver.Kind
		id, team string
		asked    []string
		want     string
		wantErr  bool // an error that is not "not found"
	}{
		{name: "resolved for its own team", stored: map[string]string{"test-connections-team_a--test-postgres": connURI},
			kind: resolver.KindConnection, id: connID, team: team,
			asked: []string{"test-connections-team_a--test-postgres"}, want: connURI},
		{name: "not resolved for another team", stored: map[string]string{"test-connections-team_a--test-postgres": connURI},
			kind: resolver.KindConnection, id: team + "--" + connID, team: otherTeam},
		{name: "not resolved without a team scope", stored: map[string]string{"test-connections-team_a--test-postgres": connURI},
			kind: resolver.KindConnection, id: team + "--" + connID},
		{name: "a team whose name extends the caller's is not readable", stored: map[string]string{"test-connections-team_a--prod--test-postgres": connURI},
			kind: resolver.KindConnection, id: extendingTeam + "--" + connID, team: team},
		{name: "the extending team reads its own with the bare id", stored: map[string]string{"test-connections-team_a--prod--test-postgres": connURI},
			kind: resolver.KindConnection, id: connID, team: extendingTeam,
			asked: []string{"test-connections-team_a--prod--test-postgres"}, want: connURI},
		{name: "team-agnostic secret without a team", stored: map[string]string{"test-connections-agnostic": connURI},
			kind: resolver.KindConnection, id: "agnostic",
			asked: []string{"test-connections-agnostic"}, want: connURI},
		{name: "team-agnostic secret for any team", stored: map[string]string{"test-connections-agnostic": connURI},
			kind: resolver.KindConnection, id: "agnostic", team: team,
			asked: []string{"test-connections-team_a--agnostic", "test-connections-agnostic"}, want: connURI},
		{name: "team variable", stored: map[string]string{"test-variables-team_a--hello": varValue},
			kind: resolver.KindVariable, id: varKey, team: team,
			asked: []string{"test-variables-team_a--hello"}, want: varValue},
		{name: "team variable not resolved for another team", stored: map[string]string{"test-variables-team_a--hello": varValue},
			kind: resolver.KindVariable, id: team + "--" + varKey, team: otherTeam},
		// test_team_secret_name_is_built_literally: underscores kept.
		{name: "name built literally", stored: map[string]string{"test-connections-team_a--smtp_default": connURI},
			kind: resolver.KindConnection, id: "smtp_default", team: team,
			asked: []string{"test-connections-team_a--smtp_default"}, want: connURI},
		// test_underscores_cannot_manufacture_a_team_namespace
		{name: "underscores cannot manufacture a team namespace", stored: map[string]string{"test-connections-team_a--prod--test-postgres": connURI},
			kind: resolver.KindConnection, id: "prod__" + connID, team: team,
			asked: []string{"test-connections-team_a--prod__test-postgres", "test-connections-prod__test-postgres"}},
		// test_ambiguous_id_is_refused_even_for_its_own_team
		{name: "ambiguous id refused even for its own team", stored: map[string]string{"test-connections-team_a--prod--test-postgres": connURI},
			kind: resolver.KindConnection, id: "prod--" + connID, team: team},
		// secretpath's: team_a's -test-postgres would be team_a-'s test-postgres.
		{name: "an id with a leading dash is refused for a team", stored: map[string]string{"test-connections-team_a---test-postgres": connURI},
			kind: resolver.KindConnection, id: "-" + connID, team: team},
		{name: "an id with a leading dash is read without a team", stored: map[string]string{"test-connections--lead": connURI},
			kind: resolver.KindConnection, id: "-lead",
			asked: []string{"test-connections--lead"}, want: connURI},
		// test_config_lookup_is_not_team_scoped
		{name: "config is not team scoped", stored: map[string]string{"test-config-some--option": "config-value"},
			kind: resolver.KindConfig, id: "some--option",
			asked: []string{"test-config-some--option"}, want: "config-value"},
		{name: "config: the team is not read", stored: map[string]string{"test-config-team_a--k": "team config", "test-config-k": "config-value"},
			kind: resolver.KindConfig, id: "k", team: team,
			asked: []string{"test-config-k"}, want: "config-value"},
		// Airflow's client answers None to PERMISSION_DENIED: the global is read.
		{name: "permission denied on the team secret: the global", stored: map[string]string{"test-connections-denied": connURI},
			kind: resolver.KindConnection, id: "denied", team: team,
			asked: []string{"test-connections-team_a--denied", "test-connections-denied"}, want: connURI},
		// Any other failure is raised: no fallback.
		{name: "internal error on the team secret: no fallback", stored: map[string]string{"test-connections-broken": connURI},
			kind: resolver.KindConnection, id: "broken", team: team,
			asked: []string{"test-connections-team_a--broken"}, wantErr: true},
		// multi_team off (PR #71078).
		{name: "multi_team off: the team is not read", multiOff: true, stored: map[string]string{"test-connections-team_a--solo": "team", "test-connections-solo": connURI},
			kind: resolver.KindConnection, id: "solo", team: team,
			asked: []string{"test-connections-solo"}, want: connURI},
		{name: "multi_team off: an id with the separator is ordinary", multiOff: true, stored: map[string]string{"test-connections-prod--solo": connURI},
			kind: resolver.KindConnection, id: "prod--solo",
			asked: []string{"test-connections-prod--solo"}, want: connURI},
	}
	// One project for all rows: every row stores under names of its own.
	f := newFake(t)
	f.AddFault(gcpfake.Fault{Secret: "test-connections-team_a--denied", Status: "PERMISSION_DENIED", Message: "Permission denied on resource"})
	f.AddFault(gcpfake.Fault{Secret: "test-connections-team_a--broken", Status: "INTERNAL", Message: "internal error"})
	multi := openTeam(t, f, "[core]\nmulti_team = True\n", nil)
	single := openTeam(t, f, "[core]\nmulti_team = False\n", nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, v := range tt.stored {
				f.PutSecret(name, v)
			}
			b := multi
			if tt.multiOff {
				b = single
			}
			f.ResetRequests()
			got, err := b.Lookup(t.Context(), resolver.Request{Kind: tt.kind, ID: tt.id, Team: tt.team})
			assert.Equal(t, tt.asked, askedSecrets(f), "secrets asked for, in order")
			switch {
			case tt.wantErr:
				require.Error(t, err)
				assert.NotErrorIs(t, err, resolver.ErrNotFound)
			case tt.want == "":
				require.ErrorIs(t, err, resolver.ErrNotFound)
			default:
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

// TestTeamRefusalLogged: Airflow's test_refusing_an_ambiguous_id_is_logged:
// a connection and a variable refused, each logged once at warning level
// with the id, and no request.
func TestTeamRefusalLogged(t *testing.T) {
	f := newFake(t)
	logs := &logBuffer{}
	b := openTeam(t, f, "[core]\nmulti_team = True\n", logs)
	f.ResetRequests()
	const ambiguous = "prod--" + connID
	for _, kind := range []resolver.Kind{resolver.KindConnection, resolver.KindVariable} {
		_, err := b.Lookup(t.Context(), resolver.Request{Kind: kind, ID: ambiguous})
		require.ErrorIs(t, err, resolver.ErrNotFound)
		assert.Contains(t, err.Error(), "ambiguous")
	}
	assert.Zero(t, f.Count(gcpfake.APISecretManager), "no request")
	var refusals []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "ambiguous id, not looked up") {
			refusals = append(refusals, line)
		}
	}
	require.Len(t, refusals, 2)
	for _, r := range refusals {
		assert.Contains(t, r, "level=WARN")
		assert.Contains(t, r, "id="+ambiguous)
	}
}

// TestMultiTeamConfig: [core] multi_team is read from the config (the
// environment first); a value that is no boolean is a configuration error
// naming where it is set, never the value.
func TestMultiTeamConfig(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow-connections-team_a--db", "team")
	f.PutSecret("airflow-connections-db", "global")
	tests := []struct {
		name    string
		cfg     string
		environ []string
		want    string
		wantErr string
	}{
		{name: "absent: off", want: "global"},
		{name: "True", cfg: "[core]\nmulti_team = True\n", want: "team"},
		{name: "environment wins", cfg: "[core]\nmulti_team = False\n", environ: []string{"AIRFLOW__CORE__MULTI_TEAM=on"}, want: "team"},
		{name: "not a boolean", cfg: "[core]\nmulti_team = s3cr3t-ish\n", wantErr: "airflow.cfg:2: [core] multi_team: must be a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(fakeKwargs(f, nil))
			require.NoError(t, err)
			kwargs, err := config.ParseKwargs(raw)
			require.NoError(t, err)
			file, err := config.Parse("airflow.cfg", []byte(tt.cfg), tt.environ)
			require.NoError(t, err)
			b, err := resolver.OpenBackend(t.Context(), gcpsecretmanager.Name, resolver.Env{Kwargs: kwargs, Config: file})
			if tt.wantErr != "" {
				require.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "s3cr3t")
				return
			}
			require.NoError(t, err)
			got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "team_a"})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestDescribeTeam: Explain shows both secrets a team's lookup reads, and
// the refusal of an ambiguous id; Options.MultiTeam is the Go form.
func TestDescribeTeam(t *testing.T) {
	f := newFake(t)
	b, _ := newGo(t, f, gcpsecretmanager.Options{MultiTeam: true})
	const p = "projects/" + gcpfake.ProjectID + "/secrets/"
	for _, tt := range []struct {
		req  resolver.Request
		want string
	}{
		{resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default", Team: "team_a"},
			p + `airflow-connections-team_a--smtp_default/versions/latest (team "team_a"), then ` + p + "airflow-connections-smtp_default/versions/latest"},
		{resolver.Request{Kind: resolver.KindVariable, ID: "hello"}, p + "airflow-variables-hello/versions/latest"},
		{resolver.Request{Kind: resolver.KindConfig, ID: "k", Team: "team_a"}, p + "airflow-config-k/versions/latest"},
		{resolver.Request{Kind: resolver.KindConnection, ID: "team_b--db", Team: "team_a"},
			`no request ("team_b--db" holds "--", which separates the team from the id`},
		{resolver.Request{Kind: resolver.KindVariable, ID: "x", Team: "team a"},
			`no request ("airflow-variables-team a--x" is not a valid secret id) (team "team a"), then ` + p + "airflow-variables-x/versions/latest"},
	} {
		assert.Contains(t, b.Describe(tt.req), tt.want, "%+v", tt.req)
	}
	off, _ := newGo(t, f, gcpsecretmanager.Options{})
	assert.Equal(t, p+"airflow-connections-db/versions/latest", off.Describe(resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "team_a"}))
	assert.Zero(t, f.Count(gcpfake.APISecretManager), "Describe makes no request")
}
