package backendtest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/secretpath/secretpath/resolver"
	sp "github.com/secretpath/secretpath/resolver/connection"
)

// batchIDs is how many ids of each kind the batch case stores: more than
// the largest batch a store takes in one request (Secrets Manager's 20),
// so that a backend's splitting is exercised.
const batchIDs = 45

// testBatch: a backend that implements resolver.BatchBackend answers every
// request of a batch exactly as it answers the request alone (found, not
// found, connections by fields or by value), for more ids than one of its
// store's requests takes, with and without a team; a cancelled context
// fails every answer with it; and a resolver's batch lookup over the
// backend agrees with its single lookups. A backend that does not
// implement it is looked up through the resolver's one-at-a-time path.
func testBatch(t *testing.T, h Harness, caps Capabilities) {
	ctx := ctxFor(t)
	seed := Seed{Connections: map[string]string{}, Variables: map[string]string{}}
	for i := range batchIDs {
		seed.Connections[fmt.Sprintf("batch_conn_%d", i)] = fmt.Sprintf("postgres://u%d:p%d-CONFORMANCE@host%d:%d/db%d", i, i, i, 5000+i, i)
		seed.Variables[fmt.Sprintf("batch_var_%d", i)] = fmt.Sprintf("value-%d-CONFORMANCE", i)
	}
	if caps.JSONConnections {
		seed.Connections["batch_json"] = jsonValue
	}
	if caps.Configs {
		seed.Configs = map[string]string{"batch_cfg": "cfg-CONFORMANCE"}
	}
	b := h.Backend(ctx, t, seed)
	// Missing ids among the found ones, at the start, middle and end.
	ids := func(prefix string) []string {
		out := []string{prefix + "missing_a"}
		for i := range batchIDs {
			out = append(out, fmt.Sprintf("%s%d", prefix, i))
			if i == batchIDs/2 {
				out = append(out, prefix+"missing_b")
			}
		}
		return append(out, prefix+"missing_c")
	}
	connIDs := ids("batch_conn_")
	if caps.JSONConnections {
		connIDs = append(connIDs, "batch_json")
	}
	kinds := []struct {
		kind resolver.Kind
		ids  []string
	}{
		{resolver.KindConnection, connIDs},
		{resolver.KindVariable, ids("batch_var_")},
	}
	if caps.Configs {
		kinds = append(kinds, struct {
			kind resolver.Kind
			ids  []string
		}{resolver.KindConfig, []string{"batch_cfg", "batch_cfg_missing"}})
	}

	bb, batch := b.(resolver.BatchBackend)
	for _, k := range kinds {
		for _, team := range []string{"", "team_a"} {
			reqs := make([]resolver.Request, len(k.ids))
			for i, id := range k.ids {
				reqs[i] = resolver.Request{Kind: k.kind, ID: id, Team: team}
			}
			if batch {
				answers := make([]resolver.Answer, len(reqs))
				bb.LookupBatch(ctx, reqs, answers)
				for i, req := range reqs {
					checkAnswer(ctx, t, b, req, answers[i])
				}
			}
			// Through a resolver, which uses LookupBatch when there is one.
			r := newResolver(b)
			res := r.LookupMany(ctx, resolver.Request{Kind: k.kind, Team: team}, k.ids)
			if len(res) != len(k.ids) {
				t.Fatalf("resolver batch of %d %ss for team %q: %d results", len(k.ids), k.kind, team, len(res))
			}
			for i, id := range k.ids {
				what := fmt.Sprintf("resolver batch lookup of %s %q for team %q", k.kind, id, team)
				if res[i].ID != id {
					t.Errorf("%s: result %d is for %q", what, i, res[i].ID)
				}
				_, seeded := seedValue(seed, k.kind, id)
				if !seeded {
					errorIs(t, false, what, res[i].Err, resolver.ErrNotFound)
					continue
				}
				noError(t, false, what, res[i].Err)
				if k.kind == resolver.KindConnection {
					want, err := connection(ctx, b, id)
					noError(t, true, what+" (single lookup)", err)
					assertSameConnection(t, what, want, res[i].Conn)
				} else {
					v, _ := seedValue(seed, k.kind, id)
					equalSecret(t, false, what, v, res[i].Value.Reveal())
				}
			}
		}
	}
	if !batch {
		t.Logf("the backend does not implement resolver.BatchBackend: checked through the resolver's one-at-a-time path")
		return
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	reqs := []resolver.Request{{Kind: resolver.KindVariable, ID: "batch_var_1"}, {Kind: resolver.KindVariable, ID: "batch_var_2"}}
	answers := make([]resolver.Answer, len(reqs))
	bb.LookupBatch(cctx, reqs, answers)
	for i := range answers {
		errorIs(t, false, fmt.Sprintf("batch lookup of variable %q with a canceled context", reqs[i].ID), answers[i].Err, context.Canceled)
	}
}

// seedValue returns what seed holds for kind and id.
func seedValue(seed Seed, kind resolver.Kind, id string) (string, bool) {
	var m map[string]string
	switch kind {
	case resolver.KindConnection:
		m = seed.Connections
	case resolver.KindVariable:
		m = seed.Variables
	case resolver.KindConfig:
		m = seed.Configs
	}
	v, ok := m[id]
	return v, ok
}

// checkAnswer compares a batch answer with b's single lookup of req.
func checkAnswer(ctx context.Context, t *testing.T, b resolver.Backend, req resolver.Request, a resolver.Answer) {
	t.Helper()
	what := fmt.Sprintf("LookupBatch answer for %s %q (team %q)", req.Kind, req.ID, req.Team)
	var single string
	var singleConn sp.Connection
	var err error
	cb, fields := b.(resolver.ConnectionBackend)
	if req.Kind == resolver.KindConnection && fields {
		singleConn, err = cb.Connection(ctx, req)
	} else {
		single, err = b.Lookup(ctx, req)
	}
	if err != nil {
		if errors.Is(err, resolver.ErrNotFound) {
			errorIs(t, false, what, a.Err, resolver.ErrNotFound)
			return
		}
		t.Errorf("%s: the single lookup failed: %v", what, err)
		return
	}
	noError(t, false, what, a.Err)
	if a.Err != nil {
		return
	}
	if req.Kind == resolver.KindConnection && fields {
		if !a.Fields {
			t.Errorf("%s: a ConnectionBackend's answer to a connection request must set Fields", what)
			return
		}
		assertSameConnection(t, what, singleConn, a.Conn)
		return
	}
	if a.Fields {
		t.Errorf("%s: Fields set on an answer that Lookup answers with a value", what)
		return
	}
	equalSecret(t, false, what, single, a.Value)
}
