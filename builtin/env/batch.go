package env

import (
	"context"

	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.BatchBackend = (*Backend)(nil)

// LookupBatch answers each request as Lookup does, one after another in
// the caller's goroutine: reading the environment costs less than
// starting the goroutines the resolver runs a batch's single lookups in.
func (b *Backend) LookupBatch(ctx context.Context, reqs []resolver.Request, answers []resolver.Answer) {
	for i, req := range reqs {
		answers[i].Value, answers[i].Err = b.Lookup(ctx, req)
	}
}
