package awssecretsmanager_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/awssecretsmanager"
	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
)

// eventually bounds every wait: a hang detector, not a timing assertion.
const eventually = 10 * time.Second

// expiryRequests are lookups of every shape: URI and JSON connections,
// variables, configs, an empty value, a binary secret, a secret scheduled
// for deletion, missing ids, ids no request is made for, teams.
func expiryRequests() []resolver.Request {
	var reqs []resolver.Request
	for _, team := range []string{"", "team_a"} {
		for _, r := range []resolver.Request{
			{Kind: resolver.KindConnection, ID: "db"}, {Kind: resolver.KindConnection, ID: "js"},
			{Kind: resolver.KindConnection, ID: "missing"}, {Kind: resolver.KindVariable, ID: "rot"},
			{Kind: resolver.KindVariable, ID: "off"}, {Kind: resolver.KindVariable, ID: "empty"},
			{Kind: resolver.KindVariable, ID: "bin"}, {Kind: resolver.KindVariable, ID: "gone"},
			{Kind: resolver.KindVariable, ID: "a--b"}, {Kind: resolver.KindVariable, ID: ""},
			{Kind: resolver.KindConfig, ID: "sql_alchemy_conn"},
		} {
			r.Team = team
			reqs = append(reqs, r)
		}
	}
	return reqs
}

// seedExpiry stores expiryRequests' secrets in f: db and rot rotate (next
// at next and next+1h), off had rotation switched off, the others never
// had it.
func seedExpiry(t *testing.T, f *awsfake.Server, next time.Time) {
	t.Helper()
	f.PutSecret("airflow/connections/db", "postgres://u:p@h:5432/d")
	f.PutSecret("airflow/connections/js", `{"conn_type": "http", "host": "h", "password": "pw"}`)
	f.PutSecret("airflow/variables/rot", "r1")
	f.PutSecret("airflow/variables/team_a--rot", "team r1")
	f.PutSecret("airflow/variables/off", "o1")
	f.PutSecret("airflow/variables/empty", "")
	f.PutSecretBinary("airflow/variables/bin", []byte{1, 2})
	f.PutSecret("airflow/variables/gone", "g1")
	f.DeleteSecret("airflow/variables/gone")
	f.PutSecret("airflow/config/sql_alchemy_conn", "sqlite://")
	require.True(t, f.SetRotation("airflow/connections/db", awsfake.Rotation{Enabled: true, Next: next}))
	require.True(t, f.SetRotation("airflow/variables/rot", awsfake.Rotation{Enabled: true, Next: next.Add(time.Hour)}))
	require.True(t, f.SetRotation("airflow/variables/team_a--rot", awsfake.Rotation{Enabled: true, Next: next.Add(2 * time.Hour)}))
	require.True(t, f.SetRotation("airflow/variables/off", awsfake.Rotation{Enabled: false, Next: next}))
}

// wantExpires is what seedExpiry's secrets expire at, with the opt-in.
func wantExpires(next time.Time) map[resolver.Request]time.Time {
	return map[resolver.Request]time.Time{
		{Kind: resolver.KindConnection, ID: "db"}:                 next,
		{Kind: resolver.KindConnection, ID: "db", Team: "team_a"}: next,
		{Kind: resolver.KindVariable, ID: "rot"}:                  next.Add(time.Hour),
		{Kind: resolver.KindVariable, ID: "rot", Team: "team_a"}:  next.Add(2 * time.Hour), // the team's secret
	}
}

// found counts the requests among reqs whose answer is a value.
func found(answers []resolver.Answer) int {
	n := 0
	for _, a := range answers {
		if a.Err == nil {
			n++
		}
	}
	return n
}

// TestAnswerExpires: Answer says what Lookup or Connection says for every
// shape of lookup; without expire_at_next_rotation its Expires is zero and
// no DescribeSecret is sent; with it, one DescribeSecret per found secret
// (none for the others) gives the NextRotationDate of rotating secrets.
func TestAnswerExpires(t *testing.T) {
	next := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		expire any // the kwarg; nil: absent
	}{
		{"default", nil},
		{"off", false},
		{"on", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			seedExpiry(t, f, next)
			kw := map[string]any{}
			if tc.expire != nil {
				kw["expire_at_next_rotation"] = tc.expire
			}
			b := openTeams(t, f, true, kw)
			f.ResetRequests()
			answers := kittest.AnswersLikeLookups(t.Context(), t, b, expiryRequests())
			// The single lookups add GetSecretValue requests, never DescribeSecret.
			on := tc.expire == true
			want := map[resolver.Request]time.Time{}
			if on {
				want = wantExpires(next)
				assert.Equal(t, found(answers), f.Count(awsfake.TargetDescribeSecret), "one DescribeSecret per found secret")
			} else {
				assert.Zero(t, f.Count(awsfake.TargetDescribeSecret), "no extra request without the opt-in")
			}
			for i, req := range expiryRequests() {
				assert.True(t, want[req].Equal(answers[i].Expires), "%v: Expires %v, want %v", req, answers[i].Expires, want[req])
			}
		})
	}
}

// TestLookupBatchExpires: with the opt-in, LookupBatch's answers carry the
// Expires Answer gives, describing found secrets only.
func TestLookupBatchExpires(t *testing.T) {
	next := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	f := newFake(t)
	seedExpiry(t, f, next)
	b := openTeams(t, f, true, map[string]any{"expire_at_next_rotation": true}).(*awssecretsmanager.Backend)
	want := wantExpires(next)
	byKind := map[[2]any][]resolver.Request{}
	var order [][2]any
	for _, req := range expiryRequests() {
		k := [2]any{req.Kind, req.Team}
		if _, ok := byKind[k]; !ok {
			order = append(order, k)
		}
		byKind[k] = append(byKind[k], req)
	}
	for _, k := range order {
		reqs := byKind[k]
		answers := make([]resolver.Answer, len(reqs))
		f.ResetRequests()
		b.LookupBatch(t.Context(), reqs, answers)
		assert.Equal(t, found(answers), f.Count(awsfake.TargetDescribeSecret), "%v: one DescribeSecret per found secret", k)
		for i, req := range reqs {
			assert.True(t, want[req].Equal(answers[i].Expires), "%v: Expires %v, want %v", req, answers[i].Expires, want[req])
		}
	}
}

// TestCacheDropsAtNextRotation: a resolver with a 1 h cache over the
// backend asks again once a secret's next rotation comes, and gets the
// rotated value; without the opt-in Expires is zero and no DescribeSecret
// is sent.
func TestCacheDropsAtNextRotation(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(map[bool]string{true: "expire_at_next_rotation", false: "default"}[on], func(t *testing.T) {
			f := newFake(t)
			// Change polls off: only the expiry can make the resolver look again.
			b := newGo(t, f, awssecretsmanager.Options{ExpireAtNextRotation: on, ChangesPollInterval: -1})
			r := resolver.New(resolver.WithBackend(awssecretsmanager.Name, b), resolver.WithCache(time.Hour, 0))
			t.Cleanup(func() { _ = r.Close() })
			ctx := t.Context()
			f.PutSecret("airflow/variables/rotating", "v1")
			next := time.Now().Add(200 * time.Millisecond)
			require.True(t, f.SetRotation("airflow/variables/rotating", awsfake.Rotation{Enabled: true, Next: next}))
			v, err := r.Variable(ctx, "rotating")
			require.NoError(t, err)
			require.Equal(t, "v1", v.Reveal())
			res := r.Variables(ctx, "rotating")
			require.NoError(t, res[0].Err)

			// The rotation: a new version, the next one in an hour.
			f.RotateSecret("airflow/variables/rotating", "v2")
			require.True(t, f.SetRotation("airflow/variables/rotating", awsfake.Rotation{Enabled: true, Next: time.Now().Add(time.Hour)}))
			if !on {
				assert.True(t, res[0].Expires.IsZero())
				_, err := r.Variable(ctx, "rotating")
				require.NoError(t, err)
				assert.Zero(t, f.Count(awsfake.TargetDescribeSecret), "no metadata request without the opt-in")
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

// TestExpireKwarg: expire_at_next_rotation takes a boolean; anything else
// is an error naming it.
func TestExpireKwarg(t *testing.T) {
	f := newFake(t)
	_, err := openKwargs(t, fakeKwargs(f, map[string]any{"expire_at_next_rotation": "soon"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"expire_at_next_rotation"`)
	mustOpen(t, fakeKwargs(f, map[string]any{"expire_at_next_rotation": nil}))
}

// expiringHarness is fakeHarness with expire_at_next_rotation on and every
// secret rotating in an hour: the suite's lookups, through a resolver that
// calls Answer (and LookupBatch), answer as without the opt-in.
type expiringHarness struct{}

func (expiringHarness) Capabilities() backendtest.Capabilities {
	return backendtest.Capabilities{Configs: true, JSONConnections: true, EmptyVariables: true, MultilineValues: true}
}

func (expiringHarness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	next := time.Now().Add(time.Hour)
	for prefix, values := range map[string]map[string]string{
		"airflow/connections/": seed.Connections,
		"airflow/variables/":   seed.Variables,
		"airflow/config/":      seed.Configs,
	} {
		for id, v := range values {
			f.PutSecret(prefix+id, v)
			f.SetRotation(prefix+id, awsfake.Rotation{Enabled: true, Next: next})
		}
	}
	return mustOpen(t, fakeKwargs(f, map[string]any{"expire_at_next_rotation": true}))
}

func TestConformanceExpiring(t *testing.T) {
	awsfake.Isolate(t)
	backendtest.Run(t, expiringHarness{})
}
