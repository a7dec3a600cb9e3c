package gcpsecretmanager

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
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

// The poll kwargs: defaults, bounds, and errors that name the kwarg.
func TestPollKwargs(t *testing.T) {
	tests := []struct {
		json             string
		interval, jitter time.Duration
		err              string
	}{
		{`{}`, 0, 0, ""},
		{`{"changes_poll_interval_seconds": null}`, 0, 0, ""},
		{`{"changes_poll_interval_seconds": 300}`, 300 * time.Second, 0, ""},
		{`{"changes_poll_interval_seconds": "0.05"}`, 50 * time.Millisecond, 0, ""},
		{`{"changes_poll_interval_seconds": -1}`, -1, 0, ""},
		{`{"changes_poll_interval_seconds": 10, "changes_poll_jitter_seconds": 0}`, 10 * time.Second, -1, ""},
		{`{"changes_poll_interval_seconds": 10, "changes_poll_jitter_seconds": 2.5}`, 10 * time.Second, 2500 * time.Millisecond, ""},
		{`{"changes_poll_jitter_seconds": 30}`, 0, 30 * time.Second, ""},
		{`{"changes_poll_interval_seconds": 0}`, 0, 0, "changes_poll_interval_seconds"},
		{`{"changes_poll_interval_seconds": 90000}`, 0, 0, "changes_poll_interval_seconds"},
		{`{"changes_poll_interval_seconds": "soon"}`, 0, 0, "changes_poll_interval_seconds"},
		{`{"changes_poll_jitter_seconds": 61}`, 0, 0, "changes_poll_jitter_seconds"},
		{`{"changes_poll_jitter_seconds": -1}`, 0, 0, "changes_poll_jitter_seconds"},
		{`{"changes_poll_interval_seconds": 10, "changes_poll_jitter_seconds": 11}`, 0, 0, "changes_poll_jitter_seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			kw, err := config.ParseKwargs([]byte(tt.json))
			require.NoError(t, err)
			interval, jitter, err := pollKwargs(kw)
			if tt.err != "" {
				require.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), `"`+tt.err+`"`)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.interval, interval)
			assert.Equal(t, tt.jitter, jitter)
		})
	}
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
