package wasmhost

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

var (
	_ resolver.Backend   = (*Tenant)(nil)
	_ resolver.Named     = (*Tenant)(nil)
	_ resolver.Describer = (*Tenant)(nil)
)

// Describe names the module and tenant a lookup goes to, for
// resolver.Explain. What the guest does with the id is its own business.
// A config lookup of a module that exports no secretpath_get_config makes
// no call, and says so.
func (t *Tenant) Describe(req resolver.Request) string {
	s := "module " + t.module.ID() + ", tenant " + strconv.Quote(t.name) + ", " + req.Kind.String() + " " + strconv.Quote(req.ID)
	switch req.Kind {
	case resolver.KindConnection, resolver.KindVariable:
	case resolver.KindConfig:
		if !t.module.info.Configs {
			s += " (the module exports no secretpath_get_config: no call)"
		}
	default:
		s += " (not a kind of ABI v1: no call)"
	}
	return s
}
