package awsssm_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/awsssm"
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
	raw := fakeKwargs(f, kw)
	kwargs, err := config.ParseKwargs(mustJSON(t, raw))
	require.NoError(t, err)
	b, err := resolver.OpenBackend(context.Background(), awsssm.Name, resolver.Env{Config: awsteamtest.ConfigFile(t, multiTeam), Kwargs: kwargs, Logger: logger})
	require.NoError(t, err)
	return b
}

var ssmDefaults = map[resolver.Kind]string{
	resolver.KindConnection: awsssm.DefaultConnectionsPrefix,
	resolver.KindVariable:   awsssm.DefaultVariablesPrefix,
	resolver.KindConfig:     awsssm.DefaultConfigPrefix,
}

// TestTeams runs Airflow's team vectors (awsteamtest) against the fake:
// <prefix>/<team>--<id> first, then <prefix>/<id>; ids with "--" refused
// with multi_team on.
func TestTeams(t *testing.T) {
	f := newFake(t)
	awsteamtest.Run(t, awsteamtest.Harness{
		Open: func(t *testing.T, multiTeam bool, kw map[string]any, logger *slog.Logger) resolver.Backend {
			return openTeamsLog(t, f, multiTeam, kw, logger)
		},
		Name:   func(kind resolver.Kind, id string) string { return ssmDefaults[kind] + "/" + id },
		Put:    func(name, value string) { f.PutParameter(name, value, awsfake.SecureString) },
		Remove: f.Remove,
		Asked:  func() []string { return f.Names(awsfake.TargetGetParameter) },
		Reset: func() {
			f.ResetRequests()
			f.ClearFaults()
		},
		Fail: func(name, code string) {
			f.AddFault(awsfake.Fault{Name: name, Code: code, Message: "refused by the test"})
		},
	})
}

// TestTeamNames: the team's parameter is named as the global one is, with
// <team>--<id> for the id: the leading "/" added, the prefix's trailing
// "/" stripped, the lookup pattern matched against the id alone.
func TestTeamNames(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		name string
		kw   map[string]any
		kind resolver.Kind
		id   string
		want []string // asked, in order
	}{
		{name: "default prefix", kind: resolver.KindConnection, id: "db", want: []string{"/airflow/connections/team-a--db", "/airflow/connections/db"}},
		{name: "prefix without a leading slash", kw: map[string]any{"variables_prefix": "team/vars/"}, kind: resolver.KindVariable, id: "v", want: []string{"/team/vars/team-a--v", "/team/vars/v"}},
		{name: "empty prefix", kw: map[string]any{"connections_prefix": ""}, kind: resolver.KindConnection, id: "db", want: []string{"/team-a--db", "/db"}},
		{name: "pattern matches the id", kw: map[string]any{"connections_lookup_pattern": "^db"}, kind: resolver.KindConnection, id: "db", want: []string{"/airflow/connections/team-a--db", "/airflow/connections/db"}},
		{name: "pattern does not match the id", kw: map[string]any{"connections_lookup_pattern": "^team"}, kind: resolver.KindConnection, id: "db"},
		{name: "kind off", kw: map[string]any{"variables_prefix": nil}, kind: resolver.KindVariable, id: "v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			b := openTeams(t, f, true, tt.kw)
			_, err := b.Lookup(t.Context(), resolver.Request{Kind: tt.kind, ID: tt.id, Team: "team-a"})
			require.ErrorIs(t, err, resolver.ErrNotFound)
			assert.Equal(t, tt.want, f.Names(awsfake.TargetGetParameter))
		})
	}
}

// TestTeamDescribe: Explain shows both names of a team's lookup, and why a
// refused id makes no request.
func TestTeamDescribe(t *testing.T) {
	f := newFake(t)
	on := openTeams(t, f, true, nil).(resolver.Describer)
	off := openTeams(t, f, false, nil).(resolver.Describer)
	for _, tt := range []struct {
		d    resolver.Describer
		req  resolver.Request
		want string
	}{
		{on, resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "team-a"},
			`parameter "/airflow/connections/team-a--db" (team "team-a"), then parameter "/airflow/connections/db"`},
		{on, resolver.Request{Kind: resolver.KindVariable, ID: "v"}, `parameter "/airflow/variables/v"`},
		{on, resolver.Request{Kind: resolver.KindConfig, ID: "k", Team: "team-a"}, `parameter "/airflow/config/k"`},
		{on, resolver.Request{Kind: resolver.KindVariable, ID: "team-a--v", Team: "team-a"},
			`no request (the id holds "--", which separates the team from the id in a team's secret name: with [core] multi_team on, such an id is ambiguous and never looked up, as in newest Airflow)`},
		{on, resolver.Request{Kind: resolver.KindVariable, ID: "-v", Team: "team-a"},
			`no request (the id starts with '-': in a team's secret name, <team>--<id>, team x's id -y would be team x-'s id y, so with [core] multi_team on a team's lookup of such an id is refused (secretpath; Airflow reads it))`},
		{on, resolver.Request{Kind: resolver.KindVariable, ID: "-v"}, `parameter "/airflow/variables/-v"`},
		{off, resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "team-a"}, `parameter "/airflow/connections/db"`},
		{off, resolver.Request{Kind: resolver.KindConnection, ID: "aws--prod"}, `parameter "/airflow/connections/aws--prod"`},
	} {
		assert.Equal(t, tt.want, tt.d.Describe(tt.req), "%+v", tt.req)
	}
	assert.Zero(t, f.Count(""), "describing makes no request")
}

// TestTeamGoOption: Options.MultiTeam is the Go API's [core] multi_team.
func TestTeamGoOption(t *testing.T) {
	f := newFake(t)
	f.PutParameter("/airflow/variables/team-a--v", "team value", awsfake.String)
	f.PutParameter("/airflow/variables/v", "global value", awsfake.String)
	req := resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team-a"}
	got, err := newGo(t, f, awsssm.Options{MultiTeam: true}).Lookup(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "team value", got)
	got, err = newGo(t, f, awsssm.Options{}).Lookup(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "global value", got)
}

// TestMultiTeamNotBoolean: a multi_team that is not a boolean is a
// configuration error naming where it is set.
func TestMultiTeamNotBoolean(t *testing.T) {
	f := newFake(t)
	cfg, err := config.Parse("airflow.cfg", []byte("[core]\nmulti_team = sure\n"), nil)
	require.NoError(t, err)
	kwargs, err := config.ParseKwargs(mustJSON(t, fakeKwargs(f, nil)))
	require.NoError(t, err)
	_, err = resolver.OpenBackend(t.Context(), awsssm.Name, resolver.Env{Config: cfg, Kwargs: kwargs})
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "airflow.cfg:2")
	assert.Contains(t, err.Error(), "multi_team")
}

func mustJSON(t *testing.T, kw map[string]any) []byte {
	t.Helper()
	raw, err := json.Marshal(kw)
	require.NoError(t, err)
	return raw
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
	f.PutParameter("/airflow/variables/v", "global value", awsfake.String)
	rec := &deadlines{next: http.DefaultClient}
	b := newGo(t, f, awsssm.Options{MultiTeam: true, Timeout: time.Minute,
		ClientOptions: []func(*ssm.Options){func(o *ssm.Options) { o.HTTPClient = rec }}})
	got, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "v", Team: "team-a"})
	require.NoError(t, err)
	assert.Equal(t, "global value", got)
	require.Len(t, rec.seen, 2, "the team's name, then the global one")
	assert.False(t, rec.seen[0].IsZero())
	assert.Equal(t, rec.seen[0], rec.seen[1], "one deadline for both requests")
}
