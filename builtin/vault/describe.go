package vault

import (
	"strconv"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Backend)(nil)

// Describe names the API path a lookup of req reads, or why none is read,
// for resolver.Explain. req.Team is ignored, as Lookup ignores it.
func (b *Backend) Describe(req resolver.Request) string {
	p, ok := b.places.For(req.Kind)
	if !ok {
		return kit.DescribeNotServed(req.Kind)
	}
	if !p.On {
		return kit.NoRequest("this kind's path is null")
	}
	path, ok := b.path(p, req.ID)
	if !ok {
		return kit.NoRequest(strconv.Quote(req.ID) + " cannot name a secret here")
	}
	return "GET /v1/" + path
}
