package env

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Backend)(nil)

// Describe names the environment variable a lookup of id reads, for
// resolver.Explain.
func (b *Backend) Describe(kind resolver.Kind, id string) string {
	on, prefix, what := b.connOn, b.conn, "connections"
	switch kind {
	case resolver.KindVariable:
		on, prefix, what = b.varsOn, b.vars, "variables"
	case resolver.KindConfig:
		on, prefix, what = b.cfgOn, b.cfg, "configs"
	}
	switch {
	case !on:
		return "no lookup (" + what + " are off)"
	case id == "":
		return "no lookup (empty id)"
	}
	return "$" + prefix + upper(id) + " (" + strconv.Quote(id) + " upper-cased)"
}
