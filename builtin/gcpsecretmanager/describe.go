package gcpsecretmanager

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Backend)(nil)

// Describe names the secret version a lookup of id reads, or why none is
// read, for resolver.Explain.
func (b *Backend) Describe(kind resolver.Kind, id string) string {
	k, kwarg := &b.cfgs, "config_prefix"
	switch kind {
	case resolver.KindConnection:
		k, kwarg = &b.conns, "connections_prefix"
	case resolver.KindVariable:
		k, kwarg = &b.vars, "variables_prefix"
	}
	switch name := k.prefix + b.sep + id; {
	case !k.on:
		return "no request (" + kwarg + " is null)"
	case id == "":
		return "no request (empty id)"
	case !validSecretID.MatchString(name):
		return "no request (" + strconv.Quote(name) + " is not a valid secret id)"
	default:
		return "projects/" + b.project + "/secrets/" + name + "/versions/latest"
	}
}
