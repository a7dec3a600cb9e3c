package vault_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
)

// TestAnswer: Answer returns what Lookup (variables, configs) and
// Connection (connections, Fields set) return, with Expires the read's
// start plus a positive KV v1 lease_duration, and zero for KV v2, a lease
// of 0 or less and every error.
func TestAnswer(t *testing.T) {
	f := newFake(t)
	const uri = "postgres://u:p@db:5432/app"
	for _, mount := range []string{"kv1", "secret"} {
		f.Put(mount, "variables/short", map[string]any{"value": "s", "ttl": "90s"})
		f.Put(mount, "variables/default", map[string]any{"value": "d"})
		f.Put(mount, "variables/zero", map[string]any{"value": "z", "ttl": "0"})
		f.Put(mount, "variables/negative", map[string]any{"value": "n", "ttl": -3})
		f.Put(mount, "variables/novalue", map[string]any{"ttl": "90s"})
		f.Put(mount, "config/short", map[string]any{"value": "c", "ttl": "90s"})
		f.Put(mount, "connections/uri", map[string]any{"conn_uri": uri, "ttl": "90s"})
		f.Put(mount, "connections/fields", map[string]any{"conn_type": "postgres", "host": "db"})
		// Airflow's Connection(**fields) refuses a ttl key: so do we.
		f.Put(mount, "connections/fieldsttl", map[string]any{"conn_type": "postgres", "host": "db", "ttl": "90s"})
	}
	tests := []struct {
		req   resolver.Request
		lease time.Duration // on KV v1; 0: no expiry
		err   bool
	}{
		{varReq("short"), 90 * time.Second, false},
		{varReq("default"), vaultfake.DefaultLease * time.Second, false},
		{varReq("zero"), 0, false},
		{varReq("negative"), 0, false},
		{varReq("novalue"), 0, true},
		{varReq("absent"), 0, true},
		{cfgReq("short"), 90 * time.Second, false},
		{connReq("uri"), 90 * time.Second, false},
		{connReq("fields"), vaultfake.DefaultLease * time.Second, false},
		{connReq("fieldsttl"), 0, true},
		{connReq("absent"), 0, true},
	}
	for _, kv := range []int{1, 2} {
		mount := map[int]string{1: "kv1", 2: "secret"}[kv]
		b := mustOpen(t, f.kwargs(map[string]any{"mount_point": mount, "kv_engine_version": kv}))
		for _, tt := range tests {
			t.Run(mount+"/"+tt.req.Kind.String()+"/"+tt.req.ID+"/"+tt.req.Team, func(t *testing.T) {
				ctx := t.Context()
				before := time.Now()
				a := b.Answer(ctx, tt.req)
				after := time.Now()
				if tt.req.Kind == resolver.KindConnection {
					assert.True(t, a.Fields)
					c, err := b.Connection(ctx, tt.req)
					assert.Equal(t, c, a.Conn)
					assertSameErr(t, err, a.Err)
				} else {
					v, err := b.Lookup(ctx, tt.req)
					assert.Equal(t, v, a.Value)
					assertSameErr(t, err, a.Err)
				}
				assert.Equal(t, tt.err, a.Err != nil, "%v", a.Err)
				if kv == 2 || tt.lease == 0 {
					assert.True(t, a.Expires.IsZero(), "expires %v", a.Expires)
					return
				}
				assert.WithinRange(t, a.Expires, before.Add(tt.lease), after.Add(tt.lease))
			})
		}
	}
}

func assertSameErr(t *testing.T, want, got error) {
	t.Helper()
	if want == nil {
		assert.NoError(t, got)
		return
	}
	if assert.Error(t, got) {
		assert.Equal(t, want.Error(), got.Error())
	}
}

// TestAnswerCanceled: a canceled lookup answers the context's error and no
// expiry, as Lookup does.
func TestAnswerCanceled(t *testing.T) {
	f := newFake(t)
	f.Put("kv1", "variables/k", map[string]any{"value": "v", "ttl": "90s"})
	b := mustOpen(t, f.kwargs(map[string]any{"mount_point": "kv1", "kv_engine_version": 1}))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	a := b.Answer(ctx, varReq("k"))
	assert.ErrorIs(t, a.Err, context.Canceled)
	assert.True(t, a.Expires.IsZero())
}

// leaseStore is a Vault to run checkLeaseCaching against: put writes a
// secret at path in the KV mount of version kv; open returns a backend
// reading that mount with connections_path <ns>/connections and
// variables_path <ns>/variables.
type leaseStore struct {
	put  func(t *testing.T, kv int, path string, data map[string]any)
	open func(t *testing.T, kv int, ns string) *vault.Backend
}

// checkLeaseCaching: a caching resolver (TTL 1 h) in front of KV v1 keeps
// an answer until its lease_duration ends, then reads the secret again;
// with KV v2 (no lease) the answer stays cached, whatever its ttl key.
func checkLeaseCaching(t *testing.T, s leaseStore) {
	ctx := t.Context()
	ns := randomName("lease-")
	const uri1, uri2 = "postgres://u:p@db1:5432/app", "postgres://u:p@db2:5432/app"
	s.put(t, 1, ns+"/variables/short", map[string]any{"value": "s1", "ttl": "1s"})
	s.put(t, 1, ns+"/variables/long", map[string]any{"value": "l1", "ttl": "1h"})
	s.put(t, 1, ns+"/variables/default", map[string]any{"value": "d1"})
	s.put(t, 1, ns+"/connections/short", map[string]any{"conn_uri": uri1, "ttl": "1s"})
	s.put(t, 2, ns+"/variables/short", map[string]any{"value": "v2-1", "ttl": "1s"})

	b1, b2 := s.open(t, 1, ns), s.open(t, 2, ns)
	r1 := resolver.New(resolver.WithBackend("kv1", b1), resolver.WithCache(time.Hour, 0))
	defer r1.Close()
	r2 := resolver.New(resolver.WithBackend("kv2", b2), resolver.WithCache(time.Hour, 0))
	defer r2.Close()
	settle(t, r1, b1)
	settle(t, r2, b2)

	before := time.Now()
	vars := r1.Variables(ctx, "short", "long", "default")
	conns := r1.Connections(ctx, "short")
	v2 := r2.Variables(ctx, "short")
	after := time.Now()
	for _, res := range append(append(vars, conns...), v2...) {
		require.NoError(t, res.Err, "%s", res.ID)
	}
	assert.WithinRange(t, vars[0].Expires, before.Add(time.Second), after.Add(time.Second))
	assert.WithinRange(t, vars[1].Expires, before.Add(time.Hour), after.Add(time.Hour))
	assert.WithinRange(t, vars[2].Expires, before.Add(vaultfake.DefaultLease*time.Second), after.Add(vaultfake.DefaultLease*time.Second))
	assert.WithinRange(t, conns[0].Expires, before.Add(time.Second), after.Add(time.Second))
	assert.True(t, v2[0].Expires.IsZero(), "KV v2: no expiry")

	// Every secret changes behind the cache's back.
	s.put(t, 1, ns+"/variables/short", map[string]any{"value": "s2", "ttl": "1s"})
	s.put(t, 1, ns+"/variables/long", map[string]any{"value": "l2", "ttl": "1h"})
	s.put(t, 1, ns+"/variables/default", map[string]any{"value": "d2"})
	s.put(t, 1, ns+"/connections/short", map[string]any{"conn_uri": uri2, "ttl": "1s"})
	s.put(t, 2, ns+"/variables/short", map[string]any{"value": "v2-2", "ttl": "1s"})

	// Past the short leases (the hang detector bounds the wait, not the
	// behaviour): the short ones are read again, the others still served
	// from the cache.
	time.Sleep(time.Until(vars[0].Expires.Add(10 * time.Millisecond)))
	hang := time.Now().Add(10 * time.Second)
	for {
		v, err := r1.Variable(ctx, "short")
		require.NoError(t, err)
		c, err := r1.Connection(ctx, "short")
		require.NoError(t, err)
		if v.Reveal() == "s2" && c.Host == "db2" {
			break
		}
		require.True(t, time.Now().Before(hang), "the short lease ended, yet the cache still answers %q, %q", v.Reveal(), c.Host)
		time.Sleep(10 * time.Millisecond)
	}
	for id, want := range map[string]string{"long": "l1", "default": "d1"} {
		v, err := r1.Variable(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, want, v.Reveal(), "%s: cached until its lease ends", id)
	}
	v, err := r2.Variable(ctx, "short")
	require.NoError(t, err)
	assert.Equal(t, "v2-1", v.Reveal(), "KV v2: cached for the cache's TTL, its ttl key ignored")
}

// settle starts r's change stream from b and returns once it is
// established: its first event (All: established) drops what r cached
// before, which would make the lookups that follow read again.
func settle(t *testing.T, r *resolver.Resolver, b *vault.Backend) {
	t.Helper()
	_, err := r.Variable(t.Context(), "sentinel") // starts the stream
	require.ErrorIs(t, err, resolver.ErrNotFound)
	hang := time.Now().Add(10 * time.Second)
	for vault.Established(b) == 0 {
		require.True(t, time.Now().Before(hang), "the change stream was not established")
		time.Sleep(time.Millisecond)
	}
}

// TestLeaseCachingFake: checkLeaseCaching against the fake, which also
// counts the reads: one per secret, and one more for each short lease.
func TestLeaseCachingFake(t *testing.T) {
	f := newFake(t)
	checkLeaseCaching(t, leaseStore{
		put: func(_ *testing.T, kv int, path string, data map[string]any) {
			f.Put(map[int]string{1: "kv1", 2: "secret"}[kv], path, data)
		},
		open: func(t *testing.T, kv int, ns string) *vault.Backend {
			return mustOpen(t, f.kwargs(map[string]any{
				"mount_point": map[int]string{1: "kv1", 2: "secret"}[kv], "kv_engine_version": kv,
				"connections_path": ns + "/connections", "variables_path": ns + "/variables",
			}))
		},
	})
	counts := map[string]int{}
	for _, p := range f.reads() {
		if !strings.HasSuffix(p, "/sentinel") && !strings.HasPrefix(p, "secret/metadata/") {
			counts[p]++
		}
	}
	assert.Len(t, counts, 5)
	for p, n := range counts {
		want := 1
		if strings.HasPrefix(p, "kv1/") && strings.HasSuffix(p, "/short") {
			want = 2
		}
		assert.Equal(t, want, n, "reads of %s", p)
	}
}
