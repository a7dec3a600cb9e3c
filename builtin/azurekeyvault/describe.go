package azurekeyvault

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

var _ interface {
	resolver.Backend
	resolver.Named
	resolver.Describer
} = (*Backend)(nil)

// Describe names the secret a lookup of req reads, or why none is read,
// for resolver.Explain.
func (b *Backend) Describe(req resolver.Request) string {
	name, err := b.SecretName(req)
	if err != nil {
		return "no request (" + err.Error() + ")"
	}
	return "secret " + strconv.Quote(name)
}
