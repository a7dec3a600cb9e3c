package awssecretsmanager_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/awssecretsmanager"
	"github.com/secretpath/secretpath/builtin/internal/awscommon/awsteamtest"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// openTeams builds the backend through the registry with [core]
// multi_team as given, pointed at f.
func openTeams(t *testing.T, f *awsfake.Server, multiTeam bool, kw map[string]any) resolver.Backend {
	t.Helper()
	return openTeamsLog(t, f, multiTeam, kw, nil)
}

// openTeamsLog is openTeams logging to logger.
func openTeamsLog(t *testing.T, f *awsfake.Server, multiTeam bool, kw map[string]any, logger *slog.Logger) resolver.Backend {
	t.Helper()
	raw, err := json.Marshal(fakeKwargs(f, kw))
	require.NoError(t, err)
	kwargs, err := config.ParseKwargs(raw)
	require.NoError(t, err)
	b, err := resolver.OpenBackend(t.Context(), awssecretsmanager.Name, resolver.Env{Config: awsteamtest.ConfigFile(t, multiTeam), Kwargs: kwargs, Logger: logger})
	require.NoError(t, err)
	return b
}

var smDefaults = map[resolver.Kind]string{
	resolver.KindConnection: awssecretsmanager.DefaultConnectionsPrefix,
	resolver.KindVariable:   awssecretsmanager.DefaultVariablesPrefix,
	resolver.KindConfig:     awssecretsmanager.DefaultConfigPrefix,
}

// TestTeams runs Airflow's team vectors (awsteamtest) against the fake:
// <prefix><sep><team>--<id> first, then <prefix><sep><id>; ids with "--"
// refused with multi_team on.
func TestTeams(t *testing.T) {
	f := newFake(t)
	awsteamtest.Run(t, awsteamtest.Harness{
		Open: func(t *testing.T, multiTeam bool, kw map[string]any, logger *slog.Logger) resolver.Backend {
			return openTeamsLog(t, f, multiTeam, kw, logger)
		},
		Name:   func(kind resolver.Kind, id string) string { return smDefaults[kind] + "/" + id },
		Put:    f.PutSecret,
		Remove: f.Remove,
		Asked:  func() []string { return f.Names(awsfake.TargetGetSecretValue) },
		Reset: func() {
			f.ResetRequests()
			f.ClearFaults()
		},
		Fail: func(name, code string) {
			f.AddFault(awsfake.Fault{Name: name, Code: code, Message: "refused by the test"})
		},
	})
}

// TestTeamNames: the team's secret is named as the global one is, with
// <team>--<id> for the id (sep, an empty prefix, the lookup pattern
// matched against the id alone), and every answer Airflow takes for "not
// found" on it goes on to the global name.
func TestTeamNames(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		name string
		kw   map[string]any
		kind resolver.Kind
		id   string
		want []string // asked, in order
	}{
		{name: "default prefix", kind: resolver.KindConnection, id: "db", want: []string{"airflow/connections/team-a--db", "airflow/connections/db"}},
		{name: "sep", kw: map[string]any{"sep": ":", "variables_prefix": "vars::"}, kind: resolver.KindVariable, id: "v", want: []string{"vars:team-a--v", "vars:v"}},
		{name: "empty prefix", kw: map[string]any{"connections_prefix": ""}, kind: resolver.KindConnection, id: "db", want: []string{"team-a--db", "db"}},
		{name: "pattern matches the id", kw: map[string]any{"connections_lookup_pattern": "^db"}, kind: resolver.KindConnection, id: "db", want: []string{"airflow/connections/team-a--db", "airflow/connections/db"}},
		{name: "pattern does not match the id", kw: map[string]any{"connections_lookup_pattern": "^team"}, kind: resolver.KindConnection, id: "db"},
		{name: "kind off", kw: map[string]any{"variables_prefix": nil}, kind: resolver.KindVariable, id: "v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			b := openTeams(t, f, true, tt.kw)
			_, err := b.Lookup(t.Context(), resolver.Request{Kind: tt.kind, ID: tt.id, Team: "team-a"})
			require.ErrorIs(t, err, resolver.ErrNotFound)
			assert.Equal(t, tt.want, f.Names(awsfake.TargetGetSecretValue))
		})
	}

	// Airflow's not-found answers on the team's secret fall back.
	f.PutSecret("airflow/variables/v", "global value")
	b := openTeams(t, f, true, nil)
	for _, code := range []string{"ResourceNotFoundException", "InvalidParameterException", "InvalidRequestException", "DecryptionFailure", "InternalServiceError"} {
		t.Run("falls back after "+code, func(t *testing.T) {
			f.ResetRequests()
			f.ClearFaults()
			t.Cleanup(f.ClearFaults)
			f.AddFault(awsfake.Fault{Name: "airflow/variables/team-a--v", Code: code, Message: "m"})
			got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team-a"})
			require.NoError(t, err)
			assert.Equal(t, "global value", got)
			assert.Equal(t, []string{"airflow/variables/team-a--v", "airflow/variables/v"}, f.Names(awsfake.TargetGetSecretValue))
		})
	}
	t.Run("falls back from a binary team secret", func(t *testing.T) {
		f.ResetRequests()
		f.PutSecretBinary("airflow/variables/team-a--v", []byte("binary"))
		got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team-a"})
		require.NoError(t, err)
		assert.Equal(t, "global value", got)
	})
}

// TestTeamJSONConnection: a team's JSON secret has its aliases mapped like
// any, on both the Lookup and the Connection path.
func TestTeamJSONConnection(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow/connections/team-a--pg", `{"user": "team-user", "engine": "postgres", "server": "team.example.com"}`)
	f.PutSecret("airflow/connections/pg", `{"user": "global-user", "engine": "postgres", "server": "global.example.com"}`)
	b := openTeams(t, f, true, nil)
	req := resolver.Request{Kind: resolver.KindConnection, ID: "pg", Team: "team-a"}
	got, err := b.Lookup(t.Context(), req)
	require.NoError(t, err)
	assert.JSONEq(t, `{"login": "team-user", "password": null, "host": "team.example.com", "port": null, "schema": null, "conn_type": "postgres", "extra": null}`, got)
	c, err := b.(resolver.ConnectionBackend).Connection(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "team.example.com", c.Host)
	assert.Equal(t, "pg", c.ConnID)
	c, err = b.(resolver.ConnectionBackend).Connection(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "pg"})
	require.NoError(t, err)
	assert.Equal(t, "global.example.com", c.Host)
	_, err = b.(resolver.ConnectionBackend).Connection(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "team-a--pg"})
	assert.ErrorIs(t, err, resolver.ErrNotFound, "the namespace-shaped id is refused on the Connection path too")
}

// TestTeamDescribe: Explain shows both names of a team's lookup, and why a
// refused id makes no request.
func TestTeamDescribe(t *testing.T) {
	f := newFake(t)
	on := openTeams(t, f, true, map[string]any{"config_prefix": ""}).(resolver.Describer)
	off := openTeams(t, f, false, nil).(resolver.Describer)
	for _, tt := range []struct {
		d    resolver.Describer
		req  resolver.Request
		want string
	}{
		{on, resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "team-a"},
			`secret "airflow/connections/team-a--db" (team "team-a"), then secret "airflow/connections/db"`},
		{on, resolver.Request{Kind: resolver.KindVariable, ID: "v"}, `secret "airflow/variables/v"`},
		{on, resolver.Request{Kind: resolver.KindConfig, ID: "k", Team: "team-a"}, `secret "k"`},
		{on, resolver.Request{Kind: resolver.KindConfig, ID: "a--b"},
			`no request (the id holds "--", which separates the team from the id in a team's secret name: with [core] multi_team on, such an id is ambiguous and never looked up, as in newest Airflow)`},
		{off, resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "team-a"}, `secret "airflow/connections/db"`},
		{off, resolver.Request{Kind: resolver.KindConnection, ID: "aws--prod"}, `secret "airflow/connections/aws--prod"`},
	} {
		assert.Equal(t, tt.want, tt.d.Describe(tt.req), "%+v", tt.req)
	}
	assert.Zero(t, f.Count(""), "describing makes no request")

	// Explain walks the same path as a lookup.
	x := resolver.New(resolver.WithBackend(awssecretsmanager.Name, on.(resolver.Backend))).
		Explain(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "team-a"})
	require.Len(t, x.Steps, 1)
	assert.Equal(t, `secret "airflow/connections/team-a--db" (team "team-a"), then secret "airflow/connections/db"`, x.Steps[0].Asked)
	assert.Equal(t, []string{"airflow/connections/team-a--db", "airflow/connections/db"}, f.Names(awsfake.TargetGetSecretValue))
}

// TestTeamGoOption: Options.MultiTeam is the Go API's [core] multi_team.
func TestTeamGoOption(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow/variables/team-a--v", "team value")
	f.PutSecret("airflow/variables/v", "global value")
	req := resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team-a"}
	got, err := newGo(t, f, awssecretsmanager.Options{MultiTeam: true}).Lookup(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "team value", got)
	got, err = newGo(t, f, awssecretsmanager.Options{}).Lookup(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "global value", got)
}

// deadlines records the deadline of each request's context.
type deadlines struct {
	mu   sync.Mutex
	seen []time.Time
	next *http.Client
}

func (d *deadlines) Do(r *http.Request) (*http.Response, error) {
	dl, _ := r.Context().Deadline()
	d.mu.Lock()
	d.seen = append(d.seen, dl)
	d.mu.Unlock()
	return d.next.Do(r)
}

// TestTeamLookupOneTimeout: timeout_seconds bounds the whole lookup, the
// team's name and the global one together, not each request.
func TestTeamLookupOneTimeout(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow/variables/v", "global value")
	rec := &deadlines{next: http.DefaultClient}
	b := newGo(t, f, awssecretsmanager.Options{MultiTeam: true, Timeout: time.Minute,
		ClientOptions: []func(*secretsmanager.Options){func(o *secretsmanager.Options) { o.HTTPClient = rec }}})
	got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team-a"})
	require.NoError(t, err)
	assert.Equal(t, "global value", got)
	require.Len(t, rec.seen, 2, "the team's name, then the global one")
	assert.False(t, rec.seen[0].IsZero())
	assert.Equal(t, rec.seen[0], rec.seen[1], "one deadline for both requests")
}
