package azurekeyvault_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/azurekeyvault"
	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/resolver"
)

// TestAnswerExpires: Answer says what Lookup says, for every kind of id
// (URI and JSON connections, variables, configs, empty, missing, refused
// without a request, teams), plus the exp attribute of the version read as
// Expires (zero without one), at no extra request.
func TestAnswerExpires(t *testing.T) {
	f := newFake(t)
	b := mustOpenConfig(t, fakeKwargs(t, f, nil), "[core]\nmulti_team = True\n", nil)
	exp := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	f.Put("airflow-connections-db", azurefake.Secret{Value: "postgres://u:p@h:5432/d", Expires: exp})
	f.SetSecret("airflow-connections-js", `{"conn_type": "http", "host": "h", "password": "pw"}`)
	f.Put("airflow-variables-v", azurefake.Secret{Value: "value", Expires: exp.Add(time.Hour)})
	f.SetSecret("airflow-variables-empty", "")
	f.Put("airflow-variables-team-a--v", azurefake.Secret{Value: "team value", Expires: exp.Add(2 * time.Hour)})
	f.SetSecret("airflow-config-sql-alchemy-conn", "sqlite://")
	f.Put("airflow-variables-disabled", azurefake.Secret{Value: "x", Disabled: true})

	var reqs []resolver.Request
	for _, team := range []string{"", "team-a"} {
		for _, r := range []resolver.Request{
			{Kind: resolver.KindConnection, ID: "db"}, {Kind: resolver.KindConnection, ID: "js"},
			{Kind: resolver.KindConnection, ID: "missing"}, {Kind: resolver.KindVariable, ID: "v"},
			{Kind: resolver.KindVariable, ID: "empty"}, {Kind: resolver.KindVariable, ID: "disabled"},
			{Kind: resolver.KindVariable, ID: "a--b"}, {Kind: resolver.KindVariable, ID: ""},
			{Kind: resolver.KindConfig, ID: "sql_alchemy_conn"},
		} {
			r.Team = team
			reqs = append(reqs, r)
		}
	}
	f.ResetRequests()
	answers := kittest.AnswersLikeLookups(t.Context(), t, b, reqs)
	assert.Zero(t, f.Count(azurefake.KindListVersions), "exp comes with Get Secret's answer: no other vault request")

	want := map[resolver.Request]time.Time{
		{Kind: resolver.KindConnection, ID: "db"}:                 exp,
		{Kind: resolver.KindConnection, ID: "db", Team: "team-a"}: exp,
		{Kind: resolver.KindVariable, ID: "v"}:                    exp.Add(time.Hour),
		{Kind: resolver.KindVariable, ID: "v", Team: "team-a"}:    exp.Add(2 * time.Hour), // the team's secret
	}
	for i, req := range reqs {
		assert.True(t, want[req].Equal(answers[i].Expires), "%v: Expires %v, want %v", req, answers[i].Expires, want[req])
	}
}

// TestCacheDropsAtExp: a resolver with a 1 h cache over the backend asks
// the vault again once the version it cached expires (exp), and then gets
// the rotated value, with the new version's exp.
func TestCacheDropsAtExp(t *testing.T) {
	f := newFake(t)
	// Change polls off: only the expiry can make the resolver look again.
	b := newGo(t, f, azurekeyvault.Options{ChangesPollInterval: -1})
	r := resolver.New(resolver.WithBackend(azurekeyvault.Name, b), resolver.WithCache(time.Hour, 0))
	t.Cleanup(func() { _ = r.Close() })
	ctx := t.Context()

	// exp is whole seconds: the next second at least 200 ms ahead.
	exp := time.Now().Add(200 * time.Millisecond).Truncate(time.Second).Add(time.Second)
	f.Put("airflow-variables-rotating", azurefake.Secret{Value: "v1", Expires: exp})
	v, err := r.Variable(ctx, "rotating")
	require.NoError(t, err)
	require.Equal(t, "v1", v.Reveal())
	res := r.Variables(ctx, "rotating")
	require.NoError(t, res[0].Err)
	// A cached answer's Expires comes back through the cache's clock: to
	// within a few of its 10 ms ticks.
	assert.WithinDuration(t, exp, res[0].Expires, 50*time.Millisecond)

	// The rotation: a new version expiring in an hour.
	later := time.Now().Add(time.Hour).Truncate(time.Second)
	f.Put("airflow-variables-rotating", azurefake.Secret{Value: "v2", Expires: later})
	require.Eventually(t, func() bool {
		v, err := r.Variable(ctx, "rotating")
		return err == nil && v.Reveal() == "v2"
	}, eventually, 10*time.Millisecond)
	res = r.Variables(ctx, "rotating")
	require.NoError(t, res[0].Err)
	assert.WithinDuration(t, later, res[0].Expires, 50*time.Millisecond, "the new version's exp")
	// (Whether an answer without expiry stays cached is not checked: the
	// change stream's first event, Event{All: true}, drops the cache at a
	// moment the test cannot see.)
}
