package awsssm

import "github.com/secretpath/secretpath/resolver"

var _ resolver.Describer = (*Backend)(nil)

// Describe names the parameter a lookup of id reads, for resolver.Explain.
func (b *Backend) Describe(kind resolver.Kind, id string) string {
	switch kind {
	case resolver.KindConnection:
		return b.conns.Describe("parameter", parameterName(b.conns.Prefix, id), id, "connections_prefix")
	case resolver.KindVariable:
		return b.vars.Describe("parameter", parameterName(b.vars.Prefix, id), id, "variables_prefix")
	}
	return b.cfgs.Describe("parameter", parameterName(b.cfgs.Prefix, id), id, "config_prefix")
}
