package wasmhost

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Tenant)(nil)

// Describe names the module and tenant a lookup goes to, for
// resolver.Explain. What the guest does with the id is its own business.
func (t *Tenant) Describe(kind resolver.Kind, id string) string {
	return "module " + t.module.ID() + ", tenant " + strconv.Quote(t.name) + ", " + kind.String() + " " + strconv.Quote(id)
}
