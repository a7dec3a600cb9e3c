package vault

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Backend)(nil)

// Describe names the API path a lookup of req reads, or why none is read,
// for resolver.Explain. req.Team is ignored, as Lookup ignores it.
func (b *Backend) Describe(req resolver.Request) string {
	var k *kind
	switch req.Kind {
	case resolver.KindConnection:
		k = &b.conns
	case resolver.KindVariable:
		k = &b.vars
	case resolver.KindConfig:
		k = &b.cfgs
	default:
		return "no request (" + req.Kind.String() + " lookups are not served)"
	}
	if !k.on {
		return "no request (this kind's path is null)"
	}
	p, ok := b.path(k, req.ID)
	if !ok {
		return "no request (" + strconv.Quote(req.ID) + " cannot name a secret here)"
	}
	return "GET /v1/" + p
}
