package awssecretsmanager

import (
	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

var (
	_ resolver.Backend           = (*Backend)(nil)
	_ resolver.ConnectionBackend = (*Backend)(nil)
	_ resolver.Named             = (*Backend)(nil)
	_ resolver.Describer         = (*Backend)(nil)
)

// Describe names the secrets a lookup of req reads, in order (a team's
// first), for resolver.Explain.
func (b *Backend) Describe(req resolver.Request) string {
	p, ok := b.places.For(req.Kind)
	if !ok {
		return kit.DescribeNotServed(req.Kind)
	}
	return b.teams.Describe(p, req, "secret", b.secretName)
}

func (b *Backend) secretName(p *kit.Place, id string) string {
	if p.Prefix == "" {
		return id
	}
	return p.Prefix + b.sep + id
}
