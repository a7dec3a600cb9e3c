package gcpsecretmanager

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/resolver"
)

// versions maps each request to the secrets its lookup reads, as the
// lookup names them, with one GetSecretVersion request per distinct
// secret and none for a request the lookup answers without one.
func TestVersionsMapping(t *testing.T) {
	f := gcpfake.New(t)
	f.AllowUnauthenticated()
	f.PutSecret("airflow-connections-db", "a")
	f.PutSecret("airflow-connections-db", "b") // version 2
	f.PutSecret("airflow-variables-team_a--v", "t")
	f.PutSecret("airflow-variables-v", "g")
	f.PutSecret("airflow-variables-old", "x")
	f.SetVersionState(gcpfake.ProjectID, "airflow-variables-old", 1, gcpfake.Destroyed)
	b, err := New(t.Context(), Options{ProjectID: gcpfake.ProjectID, WithoutAuthentication: true, Endpoint: f.URL,
		MultiTeam: true, Configs: location.Location{Off: true}})
	require.NoError(t, err)

	conn := func(id, team string) resolver.Request {
		return resolver.Request{Kind: resolver.KindConnection, ID: id, Team: team}
	}
	variable := func(id, team string) resolver.Request {
		return resolver.Request{Kind: resolver.KindVariable, ID: id, Team: team}
	}
	tests := []struct {
		req  resolver.Request
		want string // "-": no entry
	}{
		{conn("db", ""), "2 ENABLED"},
		{conn("db", "team_b"), "team:|global:2 ENABLED"},
		{variable("v", "team_a"), "team:1 ENABLED|global:1 ENABLED"},
		{variable("v", ""), "1 ENABLED"},
		{variable("old", ""), "1 DESTROYED"},
		{variable("absent", ""), ""},
		{variable("absent", "team_a"), ""},
		{variable("bad.id", ""), versionInvalid},
		{variable("x--y", ""), "-"},                                       // ambiguous with multi_team: no request
		{variable("-y", "team_a"), "-"},                                   // refused for a team
		{resolver.Request{Kind: resolver.KindConfig, ID: "core__x"}, "-"}, // configs off
	}
	reqs := make([]resolver.Request, len(tests))
	for i, tt := range tests {
		reqs[i] = tt.req
	}
	got, err := b.versions(t.Context(), reqs)
	require.NoError(t, err)
	for _, tt := range tests {
		v, ok := got[tt.req]
		if tt.want == "-" {
			assert.False(t, ok, "%+v: no request, no entry", tt.req)
			continue
		}
		assert.Equal(t, tt.want, v, "%+v", tt.req)
	}
	var names []string
	for _, r := range f.RequestsTo(gcpfake.APISecretManager) {
		require.Equal(t, gcpfake.RouteGetVersion, r.Route, "metadata only")
		names = append(names, r.Secret)
	}
	assert.ElementsMatch(t, []string{
		"airflow-connections-db", "airflow-connections-team_b--db",
		"airflow-variables-team_a--v", "airflow-variables-v", "airflow-variables-old",
		"airflow-variables-absent", "airflow-variables-team_a--absent",
	}, names, "one request per distinct secret")
}

// decodeVersion reads the number and state, and refuses what is not a
// SecretVersion without echoing it.
func TestDecodeVersion(t *testing.T) {
	tests := []struct{ body, want, err string }{
		{`{"name":"projects/1/secrets/s/versions/12","state":"ENABLED","createTime":"2026-01-01T00:00:00Z"}`, "12 ENABLED", ""},
		{`{"name":"projects/1/secrets/s/versions/3"}`, "3 STATE_UNSPECIFIED", ""},
		{`{"state":"ENABLED"}`, "", "no version name"},
		{`{"name":"projects/1/secrets/s/versions/latest","state":"ENABLED"}`, "", "not projects/*/secrets/*/versions/<number>"},
		{`{"name":"projects/1/secrets/s","state":"ENABLED"}`, "", "not projects/*/secrets/*/versions/<number>"},
		{`{"name": 7}`, "", "unexpected JSON"},
		{`not json s3cr3t`, "", "not valid JSON"},
	}
	for _, tt := range tests {
		got, err := decodeVersion([]byte(tt.body))
		if tt.err != "" {
			require.Error(t, err, tt.body)
			assert.Contains(t, err.Error(), tt.err)
			assert.False(t, strings.Contains(err.Error(), "s3cr3t"))
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
	}
}
