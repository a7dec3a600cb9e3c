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

// Describe names the secret a lookup of req reads, for resolver.Explain.
func (b *Backend) Describe(req resolver.Request) string {
	return b.places.Describe(req, "secret", b.secretName)
}

func (b *Backend) secretName(p *kit.Place, id string) string {
	if p.Prefix == "" {
		return id
	}
	return p.Prefix + b.sep + id
}
