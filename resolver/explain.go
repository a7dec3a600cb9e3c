package resolver

import (
	"context"
	"time"
)

// Step is one tier's part in an explained lookup.
type Step struct {
	Tier    string        // the tier's name
	Asked   string        // what the tier looks up (a remote name, path or variable), "" if it does not say
	Outcome Outcome       // OutcomeNotAsked when an earlier tier answered or the search stopped
	Err     error         // the tier's failure (OutcomeError only); never holds a value
	Took    time.Duration // time the tier took; 0 when not asked
}

// Explanation is the account of one lookup: each tier, what it was asked,
// how it ended and how long it took. It holds no secret value.
type Explanation struct {
	Kind       Kind
	ID         string
	Team       string
	Steps      []Step // one per tier that lookups of Kind may ask, in order
	AnsweredBy string // the tier that answered, "" when none did
	Cached     bool   // the cache (when on) held a live answer or miss for the id before this lookup
	Err        error  // the lookup's error when no tier answered (as Connection/Variable/Config return it)
}

// Explain performs one lookup of req, as LookupConnection or LookupValue
// would (Config: the configured backends only), but always asks the tiers
// (bypassing and not filling the cache), and reports each tier's part. The
// value found is not returned. Use it to debug a search path: the CLI's
// --explain prints it.
func (r *Resolver) Explain(ctx context.Context, req Request) *Explanation {
	kind, id := req.Kind, req.ID
	ntiers := len(r.tiers)
	if kind == KindConfig {
		ntiers = r.configured
	}
	x := &Explanation{Kind: kind, ID: id, Team: req.Team, Steps: make([]Step, ntiers)}
	if len(id) > maxIDLength {
		x.ID = id[:32] + "…"
		x.Err = idTooLong(kind, id)
		return x
	}
	if r.cache != nil {
		_, x.Cached = r.cache.get(keyOf(req))
	}
	for i := range x.Steps {
		t := &r.tiers[i]
		x.Steps[i] = Step{Tier: t.name, Asked: t.describe(req)}
	}
	res, err := r.find(ctx, req, ntiers, x.Steps)
	if err != nil {
		x.Err = err
	} else {
		x.AnsweredBy = r.names[res.tier]
	}
	return x
}
