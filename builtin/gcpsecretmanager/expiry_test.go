package gcpsecretmanager_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/gcpsecretmanager"
	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
)

// expiryRequests are lookups of every shape: URI and JSON connections,
// variables, configs, an empty value, missing ids, ids no request is made
// for (an invalid secret id, the team separator), teams.
func expiryRequests() []resolver.Request {
	var reqs []resolver.Request
	for _, team := range []string{"", "team_a"} {
		for _, r := range []resolver.Request{
			{Kind: resolver.KindConnection, ID: "db"}, {Kind: resolver.KindConnection, ID: "js"},
			{Kind: resolver.KindConnection, ID: "missing"}, {Kind: resolver.KindVariable, ID: "rot"},
			{Kind: resolver.KindVariable, ID: "exp"}, {Kind: resolver.KindVariable, ID: "empty"},
			{Kind: resolver.KindVariable, ID: "a.b"}, {Kind: resolver.KindVariable, ID: "a--b"},
			{Kind: resolver.KindVariable, ID: ""}, {Kind: resolver.KindConfig, ID: "sql_alchemy_conn"},
		} {
			r.Team = team
			reqs = append(reqs, r)
		}
	}
	return reqs
}

// seedExpiry stores expiryRequests' secrets in f: db rotates at next, rot
// at next+2h and expires at next+1h (the earlier counts), exp expires at
// next+3h, team_a--rot rotates at next+4h; the others have neither.
func seedExpiry(t *testing.T, f *gcpfake.Server, next time.Time) {
	t.Helper()
	for name, v := range map[string]string{
		"airflow-connections-db":          "postgres://u:p@h:5432/d",
		"airflow-connections-js":          `{"conn_type": "http", "host": "h", "password": "pw"}`,
		"airflow-variables-rot":           "r1",
		"airflow-variables-team_a--rot":   "team r1",
		"airflow-variables-exp":           "e1",
		"airflow-variables-empty":         "",
		"airflow-config-sql_alchemy_conn": "sqlite://",
	} {
		f.PutSecret(name, v)
	}
	p := gcpfake.ProjectID
	require.True(t, f.SetNextRotation(p, "airflow-connections-db", next))
	require.True(t, f.SetNextRotation(p, "airflow-variables-rot", next.Add(2*time.Hour)))
	require.True(t, f.SetExpireTime(p, "airflow-variables-rot", next.Add(time.Hour)))
	require.True(t, f.SetExpireTime(p, "airflow-variables-exp", next.Add(3*time.Hour)))
	require.True(t, f.SetNextRotation(p, "airflow-variables-team_a--rot", next.Add(4*time.Hour)))
	require.False(t, f.SetNextRotation(p, "airflow-variables-missing", next))
}

func found(answers []resolver.Answer) int {
	n := 0
	for _, a := range answers {
		if a.Err == nil {
			n++
		}
	}
	return n
}

// TestAnswerExpires: Answer says what Lookup says for every shape of
// lookup; without expire_at_next_rotation its Expires is zero and no
// GetSecret is sent; with it, one GetSecret per found secret (none for
// the others) gives the earlier of expireTime and nextRotationTime.
func TestAnswerExpires(t *testing.T) {
	next := time.Date(2031, 5, 6, 7, 8, 9, 123456000, time.UTC)
	for _, on := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "expire_at_next_rotation"}[on], func(t *testing.T) {
			f := newFake(t)
			seedExpiry(t, f, next)
			b, _ := newGo(t, f, gcpsecretmanager.Options{MultiTeam: true, ExpireAtNextRotation: on})
			f.ResetRequests()
			answers := kittest.AnswersLikeLookups(t.Context(), t, b, expiryRequests())
			want := map[resolver.Request]time.Time{}
			if on {
				want = map[resolver.Request]time.Time{
					{Kind: resolver.KindConnection, ID: "db"}:                 next,
					{Kind: resolver.KindConnection, ID: "db", Team: "team_a"}: next,
					{Kind: resolver.KindVariable, ID: "rot"}:                  next.Add(time.Hour),
					{Kind: resolver.KindVariable, ID: "rot", Team: "team_a"}:  next.Add(4 * time.Hour), // the team's secret
					{Kind: resolver.KindVariable, ID: "exp"}:                  next.Add(3 * time.Hour),
					{Kind: resolver.KindVariable, ID: "exp", Team: "team_a"}:  next.Add(3 * time.Hour),
				}
				assert.Equal(t, found(answers), f.CountRoute(gcpfake.RouteGetSecret), "one GetSecret per found secret")
			} else {
				assert.Zero(t, f.CountRoute(gcpfake.RouteGetSecret), "no extra request without the opt-in")
			}
			for i, req := range expiryRequests() {
				assert.True(t, want[req].Equal(answers[i].Expires), "%v: Expires %v, want %v", req, answers[i].Expires, want[req])
			}
		})
	}
}

// TestExpiryRefused: a GetSecret refused (PERMISSION_DENIED) or failing
// does not fail the lookup: the value comes with no Expires, and a
// refusal is logged once per secret.
func TestExpiryRefused(t *testing.T) {
	f := newFake(t)
	f.PutSecret("airflow-variables-v", "value")
	require.True(t, f.SetNextRotation(gcpfake.ProjectID, "airflow-variables-v", time.Now().Add(time.Hour)))
	f.AddFault(gcpfake.Fault{Route: gcpfake.RouteGetSecret, Status: "PERMISSION_DENIED",
		Message: "Permission 'secretmanager.secrets.get' denied for resource 'projects/p/secrets/airflow-variables-v' (or it may not exist)."})
	b, logs := newGo(t, f, gcpsecretmanager.Options{ExpireAtNextRotation: true})
	for range 2 {
		a := b.Answer(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "v"})
		require.NoError(t, a.Err)
		assert.Equal(t, "value", a.Value)
		assert.True(t, a.Expires.IsZero())
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "secretmanager.secrets.get, for instance"), logs.String())
	assert.NotContains(t, logs.String(), "value\"")

	f.ClearFaults()
	f.AddFault(gcpfake.Fault{Route: gcpfake.RouteGetSecret, Body: `{"name": "projects/1/secrets/x", "expireTime": "soon"}`})
	a := b.Answer(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "v"})
	require.NoError(t, a.Err)
	assert.True(t, a.Expires.IsZero())
	assert.Contains(t, logs.String(), "expireTime is not an RFC 3339 timestamp")
}

// newCached is a resolver with a 1 h cache over a backend against f with
// change polls off (only an expiry can make the resolver look again).
func newCached(t *testing.T, f *gcpfake.Server, on bool) *resolver.Resolver {
	t.Helper()
	b, _ := newGo(t, f, gcpsecretmanager.Options{ExpireAtNextRotation: on, ChangesPollInterval: -1})
	r := resolver.New(resolver.WithBackend(gcpsecretmanager.Name, b), resolver.WithCache(time.Hour, 0))
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// TestCacheDropsAtNextRotation: a resolver with a 1 h cache over the
// backend asks again once a secret's nextRotationTime comes, and gets the
// value rotated meanwhile; without the opt-in Expires is zero and no
// GetSecret is sent.
func TestCacheDropsAtNextRotation(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(map[bool]string{true: "expire_at_next_rotation", false: "default"}[on], func(t *testing.T) {
			f := newFake(t)
			r := newCached(t, f, on)
			ctx := t.Context()
			f.PutSecret("airflow-variables-rotating", "v1")
			next := time.Now().Add(200 * time.Millisecond)
			require.True(t, f.SetNextRotation(gcpfake.ProjectID, "airflow-variables-rotating", next))
			v, err := r.Variable(ctx, "rotating")
			require.NoError(t, err)
			require.Equal(t, "v1", v.Reveal())
			res := r.Variables(ctx, "rotating")
			require.NoError(t, res[0].Err)

			// The rotation: a new version, the next rotation in an hour.
			f.PutSecret("airflow-variables-rotating", "v2")
			require.True(t, f.SetNextRotation(gcpfake.ProjectID, "airflow-variables-rotating", time.Now().Add(time.Hour)))
			if !on {
				assert.True(t, res[0].Expires.IsZero())
				_, err := r.Variable(ctx, "rotating")
				require.NoError(t, err)
				assert.Zero(t, f.CountRoute(gcpfake.RouteGetSecret), "no metadata request without the opt-in")
				return
			}
			// Through the cache's clock: to within a few of its 10 ms ticks.
			assert.WithinDuration(t, next, res[0].Expires, 50*time.Millisecond)
			require.Eventually(t, func() bool {
				v, err := r.Variable(ctx, "rotating")
				return err == nil && v.Reveal() == "v2"
			}, eventually, 10*time.Millisecond)
			res = r.Variables(ctx, "rotating")
			require.NoError(t, res[0].Err)
			assert.WithinDuration(t, time.Now().Add(time.Hour), res[0].Expires, time.Minute, "the next rotation after this one")
			// (Whether an answer without expiry stays cached is not checked: the
			// change stream's first event, Event{All: true}, drops the cache at a
			// moment the test cannot see.)
		})
	}
}

// TestCacheDropsAtExpireTime: Secret Manager deletes a secret at its
// expireTime; a resolver with a 1 h cache stops serving it then.
func TestCacheDropsAtExpireTime(t *testing.T) {
	f := newFake(t)
	r := newCached(t, f, true)
	ctx := t.Context()
	f.PutSecret("airflow-variables-temp", "t1")
	require.True(t, f.SetExpireTime(gcpfake.ProjectID, "airflow-variables-temp", time.Now().Add(200*time.Millisecond)))
	v, err := r.Variable(ctx, "temp")
	require.NoError(t, err)
	require.Equal(t, "t1", v.Reveal())
	require.Eventually(t, func() bool {
		_, err := r.Variable(ctx, "temp")
		return errors.Is(err, resolver.ErrNotFound)
	}, eventually, 10*time.Millisecond)
}

// expiringHarness is adcHarness with expire_at_next_rotation on and every
// secret rotating in an hour and expiring in two: the suite's lookups,
// through a resolver that calls Answer, answer as without the opt-in.
type expiringHarness struct{}

func (expiringHarness) Capabilities() backendtest.Capabilities { return capabilities }

func (expiringHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := newFake(t)
	for prefix, values := range map[string]map[string]string{
		"airflow-connections-": seed.Connections,
		"airflow-variables-":   seed.Variables,
		"airflow-config-":      seed.Configs,
	} {
		for id, v := range values {
			f.PutSecret(prefix+id, v)
			f.SetNextRotation(gcpfake.ProjectID, prefix+id, time.Now().Add(time.Hour))
			f.SetExpireTime(gcpfake.ProjectID, prefix+id, time.Now().Add(2*time.Hour))
		}
	}
	return mustOpen(t, fakeKwargs(f, map[string]any{"expire_at_next_rotation": true}))
}

func TestConformanceExpiring(t *testing.T) {
	backendtest.Run(t, expiringHarness{})
}
