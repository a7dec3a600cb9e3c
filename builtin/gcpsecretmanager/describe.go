package gcpsecretmanager

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Backend)(nil)

// Describe names the secret version a lookup of req reads, or why none is
// read, for resolver.Explain. req.Team is not used, as in Lookup.
func (b *Backend) Describe(req resolver.Request) string {
	k, ok := b.kindOf(req.Kind)
	if !ok {
		return "no request (" + Name + " holds no " + req.Kind.String() + ")"
	}
	kwarg := "config_prefix"
	switch req.Kind {
	case resolver.KindConnection:
		kwarg = "connections_prefix"
	case resolver.KindVariable:
		kwarg = "variables_prefix"
	}
	switch name := k.prefix + b.sep + req.ID; {
	case !k.on:
		return "no request (" + kwarg + " is null)"
	case req.ID == "":
		return "no request (empty id)"
	case !validSecretID.MatchString(name):
		return "no request (" + strconv.Quote(name) + " is not a valid secret id)"
	default:
		return "projects/" + b.project + "/secrets/" + name + "/versions/latest"
	}
}
