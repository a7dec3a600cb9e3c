package azurekeyvault

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

// Describe names the secret a lookup of id reads, or why none is read, for
// resolver.Explain.
func (b *Backend) Describe(kind resolver.Kind, id string) string {
	name, err := b.SecretName(kind, id)
	if err != nil {
		return "no request (" + err.Error() + ")"
	}
	return "secret " + strconv.Quote(name)
}
