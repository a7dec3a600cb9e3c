package wasmhost_test

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// A lookup on a tenant's hot instance (the pool's fast path) does not
// count itself in the host's calls: Host.Close finds it through the
// instance's lend state. These tests hold Close to that.

// TestHostCloseWaitsForHotLookup: a trusted lookup running on the tenant's
// hot instance (waiting in http_request for a gated server) when Host.Close
// is called, with the tenant open or closed before, is waited for: Close
// does not return while it runs (closing the runtimes would unmap the
// memory it uses), and the lookup runs to its end. With a context that
// ends first, Close says one call still runs, and the lookup closes the
// runtimes as it ends. It runs in a child process (inChild): the failure
// it guards against is a crash.
func TestHostCloseWaitsForHotLookup(t *testing.T) {
	if !inChild(t) {
		return
	}
	for _, tc := range []struct {
		name        string
		closeTenant bool // Tenant.Close while the lookup runs, before Host.Close
		giveUp      bool // Host.Close's context has ended
	}{
		{"tenant open", false, false},
		{"tenant closed first", true, false},
		{"tenant open, close gives up", false, true},
		{"tenant closed first, close gives up", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStarted("hot")
			srv, openGate := gatedServer(t, s)
			h, err := wasmhost.New(t.Context(), wasmhost.Options{Logger: slog.New(slog.DiscardHandler)})
			require.NoError(t, err)
			cfg, id := httpCall(srv, "hot")
			cfg.Trusted = true
			tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "fuzz_guest.wasm"), cfg)
			require.NoError(t, err)
			// The first lookup takes the instance from the idle channel and
			// leaves it hot: the next one takes the fast path.
			v, err := tn.Lookup(t.Context(), connReq(pingProg))
			require.NoError(t, err)
			require.Equal(t, "pong", v)

			done := make(chan error, 1)
			go func() {
				_, err := tn.Lookup(context.Background(), connReq(id))
				done <- err
			}()
			s.wait(t, "hot")
			if tc.closeTenant {
				require.NoError(t, tn.Close())
			}
			ctx, cancel := context.WithTimeout(t.Context(), hostLoopWall)
			defer cancel()
			if tc.giveUp {
				ended, cancelEnded := context.WithCancel(t.Context())
				cancelEnded()
				err := h.Close(ended)
				require.Error(t, err)
				assert.ErrorIs(t, err, context.Canceled)
				assert.Contains(t, err.Error(), "1 call still running")
				openGate()
			} else {
				closed := make(chan error, 1)
				go func() { closed <- h.Close(ctx) }()
				select {
				case err := <-closed:
					t.Fatalf("Close returned (%v) while a trusted lookup ran on the hot instance", err)
				case <-time.After(100 * time.Millisecond):
				}
				openGate()
				select {
				case err := <-closed:
					assert.NoError(t, err, "Close")
				case <-time.After(hostLoopWall):
					t.Fatal("Close did not return")
				}
			}
			select {
			case err := <-done:
				assert.ErrorIs(t, err, resolver.ErrNotFound, "the trusted lookup ran to its end")
			case <-time.After(hostLoopWall):
				t.Fatal("the trusted lookup did not end")
			}
			// The runtimes are closed (by the lookup's end when Close gave
			// up): a Close has nothing left to wait for.
			assert.NoError(t, h.Close(ctx))
			_, err = tn.Lookup(t.Context(), connReq(pingProg))
			assert.Error(t, err, "a lookup after Close")
		})
	}
}

// TestCloseRacesHotLookups: Tenant.Close and Host.Close at random moments
// while goroutines look up through trusted, metered and deadline-only
// tenants as fast as they can (mostly on the hot instance). Every lookup
// answers, or fails saying the host or the tenant is closed; none crashes
// (a guest call, or a read of its result, on memory the close unmapped
// would), none hangs, and Close returns without error. Many rounds, in a
// child process (inChild); run it with -race.
func TestCloseRacesHotLookups(t *testing.T) {
	if !inChild(t) {
		return
	}
	rounds := 150
	if testing.Short() {
		rounds = 30
	}
	wasm := readFixture(t, "bench_guest_buf")
	var answered atomic.Int64
	for round := range rounds {
		h, err := wasmhost.New(t.Context(), wasmhost.Options{Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		m, err := h.Load(t.Context(), wasm)
		require.NoError(t, err)
		var tenants []*wasmhost.Tenant
		// Time limits of an hour: on a loaded machine, under -race, a
		// starved call could pass the default second; they are not what is
		// tested here.
		for _, cfg := range []wasmhost.TenantConfig{
			{Name: "trusted", Trusted: true, Limits: wasmhost.Limits{PoolSize: 2}},
			{Name: "trusted-1", Trusted: true, Limits: wasmhost.Limits{PoolSize: 1}},
			{Name: "metered", Limits: wasmhost.Limits{PoolSize: 2, CallTimeout: time.Hour}},
			{Name: "deadline", DeadlineOnly: true, Limits: wasmhost.Limits{PoolSize: 1, CallTimeout: time.Hour}},
		} {
			tn, err := h.NewTenant(t.Context(), m, cfg)
			require.NoError(t, err)
			tenants = append(tenants, tn)
		}
		require.NoError(t, m.Close())

		var wg sync.WaitGroup
		for w := range 2 * len(tenants) {
			tn := tenants[w%len(tenants)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					v, err := tn.Lookup(context.Background(), connReq("my_postgres_conn"))
					switch {
					case err == nil:
						if v != benchURI {
							t.Errorf("round %d: %s answered %q", round, tn.Name(), v)
							return
						}
						answered.Add(1)
						continue
					case errors.Is(err, wasmhost.ErrHostClosed):
						return
					case strings.Contains(err.Error(), "tenant is closed"):
						continue // until the host closes
					}
					t.Errorf("round %d: %s: %v", round, tn.Name(), err)
					return
				}
			}()
		}
		time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
		closeTenant := tenants[round%len(tenants)]
		if round%2 == 0 {
			require.NoError(t, closeTenant.Close())
			time.Sleep(time.Duration(rand.IntN(100)) * time.Microsecond)
		}
		ctx, cancel := context.WithTimeout(t.Context(), hostLoopWall)
		require.NoError(t, h.Close(ctx), "round %d", round)
		cancel()
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-time.After(hostLoopWall):
			t.Fatalf("round %d: lookups still running after Close", round)
		}
		for _, tn := range tenants {
			_, err := tn.Lookup(t.Context(), connReq("my_postgres_conn"))
			require.Error(t, err, "round %d: %s after Close", round, tn.Name())
			_ = tn.Close()
		}
		if t.Failed() {
			return
		}
	}
	assert.Positive(t, answered.Load(), "no lookup answered before its Close: the test raced nothing")
}
