package vault

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Backend)(nil)

// Describe names the API path a lookup of id reads, or why none is read,
// for resolver.Explain.
func (b *Backend) Describe(kind resolver.Kind, id string) string {
	k := &b.cfgs
	switch kind {
	case resolver.KindConnection:
		k = &b.conns
	case resolver.KindVariable:
		k = &b.vars
	}
	if !k.on {
		return "no request (this kind's path is null)"
	}
	p, ok := b.path(k, id)
	if !ok {
		return "no request (" + strconv.Quote(id) + " cannot name a secret here)"
	}
	return "GET /v1/" + p
}
