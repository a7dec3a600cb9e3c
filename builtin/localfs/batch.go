package localfs

import (
	"context"
	"fmt"

	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.BatchBackend = (*Backend)(nil)

// LookupBatch answers every request of a batch (resolver.LookupMany) from
// one version of the kind's file: one reload check for the whole batch,
// so a file replaced meanwhile never gives a batch answers from two
// versions. Connections are answered with their fields (Answer.Fields), as
// Connection returns them; variables and configs as Lookup does.
// req.Team is ignored.
func (b *Backend) LookupBatch(ctx context.Context, reqs []resolver.Request, answers []resolver.Answer) {
	if len(reqs) == 0 {
		return
	}
	fail := func(err error) {
		for i := range answers {
			answers[i].Err = err
		}
	}
	if err := ctx.Err(); err != nil {
		fail(ctxError(err))
		return
	}
	switch kind := reqs[0].Kind; kind {
	case resolver.KindConnection:
		if b.conns == nil {
			fail(errNoConnFile)
			return
		}
		snap := b.conns.current()
		if snap.err != nil {
			fail(snap.err)
			return
		}
		var e connEntry
		for i, req := range reqs {
			if !snap.conns.getInto(req.ID, &e) {
				answers[i].Err = b.conns.notFound
				continue
			}
			answers[i].Conn, answers[i].Fields = e.conn, true
		}
	case resolver.KindVariable, resolver.KindConfig:
		s, noFile := b.vars, errNoVarFile
		if kind == resolver.KindConfig {
			s, noFile = b.cfgs, errNoConfigFile
		}
		if s == nil {
			fail(noFile)
			return
		}
		snap := s.current()
		if snap.err != nil {
			fail(snap.err)
			return
		}
		for i, req := range reqs {
			v, ok := snap.values[req.ID]
			if !ok {
				answers[i].Err = s.notFound
				continue
			}
			answers[i].Value = v
		}
	default:
		fail(fmt.Errorf("localfs: %s lookups are not served: %w", kind, resolver.ErrNotFound))
	}
}
