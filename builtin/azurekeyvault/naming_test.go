package azurekeyvault_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/azurekeyvault"
	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestNames: every naming and not-found rule, checked on the wire. A row
// with wantName stores a secret under that name and expects the lookup to
// ask for exactly it and return its value; a row with wantWhy expects "not
// found" without any request to the vault. multiTeam sets [core]
// multi_team = True in the config file the backend is opened with.
func TestNames(t *testing.T) {
	long := strings.Repeat("a", azurekeyvault.MaxNameLen-len("airflow-variables-"))
	tests := []struct {
		name      string
		kw        map[string]any
		multiTeam bool
		kind      resolver.Kind
		id        string
		team      string
		wantName  string
		wantWhy   string
	}{
		// Airflow's rules.
		{name: "default connection", kind: resolver.KindConnection, id: "smtp_default", wantName: "airflow-connections-smtp-default"},
		{name: "default variable", kind: resolver.KindVariable, id: "hello", wantName: "airflow-variables-hello"},
		{name: "default config", kind: resolver.KindConfig, id: "sql_alchemy_conn", wantName: "airflow-config-sql-alchemy-conn"},
		{name: "underscore in the prefix too", kw: map[string]any{"variables_prefix": "af_secrets"}, kind: resolver.KindVariable, id: "test_mysql_password", wantName: "af-secrets-test-mysql-password"},
		{name: "empty prefix: bare id", kw: map[string]any{"connections_prefix": ""}, kind: resolver.KindConnection, id: "my_db", wantName: "my-db"},
		{name: "trailing sep stripped", kw: map[string]any{"connections_prefix": "conns--"}, kind: resolver.KindConnection, id: "x", wantName: "conns-x"},
		{name: "prefix of seps only: bare id", kw: map[string]any{"connections_prefix": "---"}, kind: resolver.KindConnection, id: "x", wantName: "x"},
		{name: "trailing underscore is not sep: kept, then mapped", kw: map[string]any{"connections_prefix": "conns_"}, kind: resolver.KindConnection, id: "x", wantName: "conns--x"},
		{name: "custom sep", kw: map[string]any{"sep": "x0", "variables_prefix": "vars0x"}, kind: resolver.KindVariable, id: "a_b", wantName: "varsx0ax0b"},
		{name: "upper case kept", kind: resolver.KindVariable, id: "Region_EU", wantName: "airflow-variables-Region-EU"},
		{name: "dashes kept", kind: resolver.KindConnection, id: "with-dash", wantName: "airflow-connections-with-dash"},
		{name: "Airflow's team pattern wants a first segment without sep", kind: resolver.KindConnection, id: "team_a__my_db", wantName: "airflow-connections-team-a--my-db"},
		{name: "a dash before a double underscore is not team-scoped", kind: resolver.KindConnection, id: "a-b__c", wantName: "airflow-connections-a-b--c"},
		{name: "longest name", kind: resolver.KindVariable, id: long, wantName: "airflow-variables-" + long},
		// secretpath's: '.' maps too.
		{name: "dot becomes sep", kind: resolver.KindConnection, id: "my.db_1", wantName: "airflow-connections-my-db-1"},
		// No request.
		{name: "connections prefix null", kw: map[string]any{"connections_prefix": nil}, kind: resolver.KindConnection, id: "smtp_default", wantWhy: "switched off"},
		{name: "variables prefix null", kw: map[string]any{"variables_prefix": nil}, kind: resolver.KindVariable, id: "hello", wantWhy: "switched off"},
		{name: "config prefix null", kw: map[string]any{"config_prefix": nil}, kind: resolver.KindConfig, id: "k", wantWhy: "switched off"},
		{name: "empty id", kind: resolver.KindVariable, id: "", wantWhy: "empty id"},
		// [core] multi_team off (Airflow's default, PR #71078): an id with
		// "__" is an ordinary id.
		{name: "double underscore without multi_team", kind: resolver.KindConnection, id: "aws__prod", wantName: "airflow-connections-aws--prod"},
		{name: "team-scoped as written without multi_team", kind: resolver.KindVariable, id: "teama--hello", wantName: "airflow-variables-teama--hello"},
		{name: "empty prefix without multi_team", kw: map[string]any{"variables_prefix": ""}, kind: resolver.KindVariable, id: "t__k", wantName: "t--k"},
		// multi_team on: an id holding "--" once mapped is refused, with a
		// team or without (team_test.go has the team cases).
		{name: "team-scoped by double underscore", multiTeam: true, kind: resolver.KindConnection, id: "aws__prod", wantWhy: "ambiguous"},
		{name: "team-scoped as written", multiTeam: true, kind: resolver.KindVariable, id: "teama--hello", wantWhy: "ambiguous"},
		{name: "team-scoped with an empty prefix", multiTeam: true, kw: map[string]any{"variables_prefix": ""}, kind: resolver.KindVariable, id: "t__k", wantWhy: "ambiguous"},
		{name: "multi_team with a team: refused too", multiTeam: true, kind: resolver.KindConnection, id: "aws__prod", team: "teama", wantWhy: "ambiguous"},
		{name: "multi_team, a hyphenated first segment: refused too", multiTeam: true, kind: resolver.KindConnection, id: "a-b__c", wantWhy: "ambiguous"},
		{name: "multi_team, a single underscore: read", multiTeam: true, kind: resolver.KindConnection, id: "a-b_c", wantName: "airflow-connections-a-b-c"},
		{name: "colon", kind: resolver.KindConnection, id: "a:b", wantWhy: "not a valid Key Vault secret name"},
		{name: "slash cannot reach a version", kind: resolver.KindConnection, id: "db/0123456789abcdef0123456789abcdef", wantWhy: "not a valid Key Vault secret name"},
		{name: "space", kind: resolver.KindVariable, id: "my var", wantWhy: "not a valid Key Vault secret name"},
		{name: "non-ASCII letter", kind: resolver.KindVariable, id: "grüße", wantWhy: "not a valid Key Vault secret name"},
		{name: "newline", kind: resolver.KindVariable, id: "a\nb", wantWhy: "not a valid Key Vault secret name"},
		{name: "one character too long", kind: resolver.KindVariable, id: long + "b", wantWhy: "not a valid Key Vault secret name"},
	}
	f := newFake(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			cfg := ""
			if tt.multiTeam {
				cfg = "[core]\nmulti_team = True\n"
			}
			b := mustOpenConfig(t, fakeKwargs(t, f, tt.kw), cfg, nil)
			req := resolver.Request{Kind: tt.kind, ID: tt.id, Team: tt.team}
			name, err := b.SecretName(req)
			if tt.wantWhy != "" {
				require.ErrorIs(t, err, resolver.ErrNotFound)
				assert.Contains(t, err.Error(), tt.wantWhy)
				_, err = b.Lookup(t.Context(), req)
				require.ErrorIs(t, err, resolver.ErrNotFound)
				assert.Contains(t, err.Error(), tt.wantWhy)
				assert.Zero(t, f.Count(""), "no request")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantName, name)
			f.SetSecret(tt.wantName, "value of "+tt.name)
			v, err := b.Lookup(t.Context(), req)
			require.NoError(t, err)
			assert.Equal(t, "value of "+tt.name, v)
			names := f.Names(azurefake.KindGetSecret)
			require.NotEmpty(t, names)
			for _, n := range names {
				assert.Equal(t, tt.wantName, n, "every request asks for the mapped name")
			}
		})
	}
}

// TestNamesCollide: Key Vault compares names ignoring case, and '_', '.'
// and '-' all become sep, so these ids are one secret, as in Airflow (but
// '.', which Airflow would send and fail on).
func TestNamesCollide(t *testing.T) {
	f := newFake(t)
	b := mustOpen(t, fakeKwargs(t, f, nil))
	f.SetSecret("airflow-variables-my-key", "one secret")
	for _, id := range []string{"my_key", "my-key", "my.key", "MY_KEY", "My-Key"} {
		v, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: id})
		require.NoError(t, err, id)
		assert.Equal(t, "one secret", v, id)
	}
}

// TestPrefixErrors: a sep or prefix that cannot make a Key Vault name is a
// configuration error naming the key, before any lookup.
func TestPrefixErrors(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		name string
		kw   map[string]any
		want string
	}{
		{name: "empty sep", kw: map[string]any{"sep": ""}, want: "sep"},
		{name: "sep outside Key Vault's alphabet", kw: map[string]any{"sep": "/"}, want: "sep"},
		{name: "sep underscore", kw: map[string]any{"sep": "_"}, want: "sep"},
		{name: "prefix with a slash", kw: map[string]any{"connections_prefix": "airflow/connections"}, want: "connections_prefix"},
		{name: "prefix leaving no room", kw: map[string]any{"variables_prefix": strings.Repeat("p", 126)}, want: "variables_prefix"},
		{name: "config prefix with a space", kw: map[string]any{"config_prefix": "air flow"}, want: "config_prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openKwargs(t, fakeKwargs(t, f, tt.kw))
			require.ErrorIs(t, err, config.ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := azurekeyvault.New(azurekeyvault.Options{VaultURL: f.URL, Credential: staticToken{}, Connections: location.Location{LookupPattern: "x"}})
	require.ErrorIs(t, err, config.ErrInvalid, "Airflow's Key Vault backend has no lookup patterns")
	assert.Contains(t, err.Error(), "connections_lookup_pattern")
	assert.Zero(t, f.Count(""))
}

// TestDescribe: Explain's line is the secret SecretName gives, or why no
// request is made; without multi_team the team does not change it.
func TestDescribe(t *testing.T) {
	f := newFake(t)
	b := mustOpen(t, fakeKwargs(t, f, map[string]any{"config_prefix": nil}))
	for _, tt := range []struct {
		req  resolver.Request
		want string
	}{
		{resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"}, `secret "airflow-connections-smtp-default"`},
		{resolver.Request{Kind: resolver.KindVariable, ID: "hello", Team: "teama"}, `secret "airflow-variables-hello"`},
		{resolver.Request{Kind: resolver.KindConfig, ID: "k"}, `no request (not found: id "k": this kind is switched off (its prefix is null))`},
		{resolver.Request{Kind: resolver.KindVariable, ID: ""}, `no request (not found: id "": an empty id is never looked up)`},
		{resolver.Request{Kind: resolver.KindConnection, ID: "teama__db"}, `secret "airflow-connections-teama--db"`},
		{resolver.Request{Kind: resolver.Kind(9), ID: "x"}, "no request (not found: unknown kind Kind(9))"},
	} {
		assert.Contains(t, b.Describe(tt.req), tt.want, "%+v", tt.req)
	}
	multi := mustOpenConfig(t, fakeKwargs(t, f, nil), "[core]\nmulti_team = true\n", nil)
	assert.Contains(t, multi.Describe(resolver.Request{Kind: resolver.KindConnection, ID: "teama__db"}),
		"no request (not found: id \"teama__db\": once mapped, holds \"--\"", "multi_team on")
	assert.Zero(t, f.Count(""), "Describe makes no request")
}

// TestMultiTeamConfig: [core] multi_team is read as Airflow's getboolean
// reads it (the environment first, '#' cuts), is off when absent, and a
// value that is no boolean is a configuration error naming where it is
// set and never the value. Each row asks for aws__prod: on, it is refused
// without a request; off, the vault is asked for
// airflow-connections-aws--prod.
func TestMultiTeamConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     string
		environ []string
		want    bool   // multi_team on
		wantErr string // a configuration error containing this
	}{
		{name: "no config file", want: false},
		{name: "no [core] multi_team", cfg: "[core]\ndags_folder = /x\n", want: false},
		{name: "True", cfg: "[core]\nmulti_team = True\n", want: true},
		{name: "1", cfg: "[core]\nmulti_team = 1\n", want: true},
		{name: "t", cfg: "[core]\nmulti_team = t\n", want: true},
		{name: "yes", cfg: "[core]\nmulti_team = yes\n", want: true},
		{name: "ON with a comment", cfg: "[core]\nmulti_team = ON # teams\n", want: true},
		{name: "False", cfg: "[core]\nmulti_team = False\n", want: false},
		{name: "0", cfg: "[core]\nmulti_team = 0\n", want: false},
		{name: "off", cfg: "[core]\nmulti_team = off\n", want: false},
		{name: "environment wins over the file", cfg: "[core]\nmulti_team = False\n", environ: []string{"AIRFLOW__CORE__MULTI_TEAM=true"}, want: true},
		{name: "environment alone", environ: []string{"AIRFLOW__CORE__MULTI_TEAM=false"}, want: false},
		{name: "not a boolean", cfg: "[core]\nmulti_team = s3cr3t-ish\n", wantErr: "airflow.cfg:2: [core] multi_team: must be a boolean"},
		{name: "not a boolean in the environment", environ: []string{"AIRFLOW__CORE__MULTI_TEAM=maybe"}, wantErr: "env AIRFLOW__CORE__MULTI_TEAM: [core] multi_team: must be a boolean"},
	}
	f := newFake(t)
	f.SetSecret("airflow-connections-aws--prod", "aws://")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			b, err := openConfig(t, fakeKwargs(t, f, nil), tt.cfg, tt.environ)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "s3cr3t")
				assert.NotContains(t, err.Error(), "maybe")
				return
			}
			require.NoError(t, err)
			v, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "aws__prod"})
			if tt.want {
				require.ErrorIs(t, err, resolver.ErrNotFound)
				assert.Contains(t, err.Error(), "once mapped, holds \"--\"")
				assert.Zero(t, f.Count(""), "no request")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "aws://", v)
			assert.Equal(t, []string{"airflow-connections-aws--prod"}, unique(f.Names(azurefake.KindGetSecret)))
		})
	}
}

// TestMultiTeamOption: Options.MultiTeam is the Go form of [core]
// multi_team; the zero value is off.
func TestMultiTeamOption(t *testing.T) {
	f := newFake(t)
	f.SetSecret("airflow-connections-aws--prod", "aws://")
	for _, multi := range []bool{false, true} {
		f.ResetRequests()
		b := newGo(t, f, azurekeyvault.Options{MultiTeam: multi})
		v, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "aws__prod"})
		if multi {
			require.ErrorIs(t, err, resolver.ErrNotFound)
			assert.Zero(t, f.Count(""), "no request")
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, "aws://", v)
		assert.Equal(t, []string{"airflow-connections-aws--prod"}, unique(f.Names(azurefake.KindGetSecret)))
	}
}

// unique drops repeated names (the challenge, then the authorized request
// ask for the same secret).
func unique(names []string) []string {
	var out []string
	for _, n := range names {
		if len(out) == 0 || out[len(out)-1] != n {
			out = append(out, n)
		}
	}
	return out
}

// TestTeamIgnoredWithoutMultiTeam: with [core] multi_team off, a
// request's team does not change the secret read (Airflow passes no team
// then), and an unknown kind is not found without a request.
func TestTeamIgnoredWithoutMultiTeam(t *testing.T) {
	f := newFake(t)
	b := mustOpen(t, fakeKwargs(t, f, nil))
	f.SetSecret("airflow-connections-db", "postgres://u:pw@h/db")
	v, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "teama"})
	require.NoError(t, err)
	assert.Equal(t, "postgres://u:pw@h/db", v)
	names := f.Names(azurefake.KindGetSecret)
	require.NotEmpty(t, names)
	for _, n := range names {
		assert.Equal(t, "airflow-connections-db", n, "not teama--db nor a name with the team")
	}

	f.ResetRequests()
	_, err = b.Lookup(t.Context(), resolver.Request{Kind: resolver.Kind(9), ID: "db"})
	require.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Zero(t, f.Count(""))
}
