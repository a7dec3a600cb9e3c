package azurekeyvault_test

import (
	"context"
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
// found" without any request to the vault.
func TestNames(t *testing.T) {
	long := strings.Repeat("a", azurekeyvault.MaxNameLen-len("airflow-variables-"))
	tests := []struct {
		name     string
		kw       map[string]any
		kind     resolver.Kind
		id       string
		wantName string
		wantWhy  string
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
		{name: "team-scoped by double underscore", kind: resolver.KindConnection, id: "teama__my_db", wantWhy: "team-scoped"},
		{name: "team-scoped as written", kind: resolver.KindVariable, id: "teama--hello", wantWhy: "team-scoped"},
		{name: "team-scoped with an empty prefix", kw: map[string]any{"variables_prefix": ""}, kind: resolver.KindVariable, id: "t__k", wantWhy: "team-scoped"},
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
			b := mustOpen(t, fakeKwargs(t, f, tt.kw))
			name, err := b.SecretName(resolver.Request{Kind: tt.kind, ID: tt.id})
			if tt.wantWhy != "" {
				require.ErrorIs(t, err, resolver.ErrNotFound)
				assert.Contains(t, err.Error(), tt.wantWhy)
				_, err = lookup(t.Context(), b, tt.kind, tt.id)
				require.ErrorIs(t, err, resolver.ErrNotFound)
				assert.Contains(t, err.Error(), tt.wantWhy)
				assert.Zero(t, f.Count(""), "no request")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantName, name)
			f.SetSecret(tt.wantName, "value of "+tt.name)
			v, err := lookup(t.Context(), b, tt.kind, tt.id)
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

func lookup(ctx context.Context, b *azurekeyvault.Backend, k resolver.Kind, id string) (string, error) {
	return b.Lookup(ctx, resolver.Request{Kind: k, ID: id})
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
// request is made; the team does not change it.
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
		{resolver.Request{Kind: resolver.KindConnection, ID: "teama__db"}, "no request (not found: id \"teama__db\": spells a team-scoped secret name"},
		{resolver.Request{Kind: resolver.Kind(9), ID: "x"}, "no request (not found: unknown kind Kind(9))"},
	} {
		assert.Contains(t, b.Describe(tt.req), tt.want, "%+v", tt.req)
	}
	assert.Zero(t, f.Count(""), "Describe makes no request")
}

// TestTeamIgnored: a request's team does not change the secret read
// (team-scoped names are a later change), and an unknown kind is not
// found without a request.
func TestTeamIgnored(t *testing.T) {
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
