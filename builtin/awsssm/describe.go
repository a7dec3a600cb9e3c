package awsssm

import (
	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

var (
	_ resolver.Backend   = (*Backend)(nil)
	_ resolver.Named     = (*Backend)(nil)
	_ resolver.Describer = (*Backend)(nil)
)

// Describe names the parameter a lookup of req reads, for resolver.Explain.
func (b *Backend) Describe(req resolver.Request) string {
	return b.places.Describe(req, "parameter", func(p *kit.Place, id string) string { return parameterName(p.Prefix, id) })
}
