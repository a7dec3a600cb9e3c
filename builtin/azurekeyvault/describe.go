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

// Describe names the secrets a lookup of req reads, in order (the team's,
// then the global one), or why none is read, for resolver.Explain.
func (b *Backend) Describe(req resolver.Request) string {
	names, err := b.SecretNames(req)
	if err != nil {
		return "no request (" + err.Error() + ")"
	}
	if len(names) == 1 {
		return "secret " + strconv.Quote(names[0])
	}
	return "secret " + strconv.Quote(names[0]) + " (team " + strconv.Quote(req.Team) + "), then secret " + strconv.Quote(names[1])
}
