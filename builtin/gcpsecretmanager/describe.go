package gcpsecretmanager

import (
	"strconv"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Backend)(nil)

// Describe names the secret version a lookup of req reads, or why none is
// read, for resolver.Explain. req.Team is not used, as in Lookup.
func (b *Backend) Describe(req resolver.Request) string {
	p, ok := b.places.For(req.Kind)
	if !ok {
		return kit.NoRequest(Name + " holds no " + req.Kind.String())
	}
	if why := p.Skip(req.ID); why != "" {
		return kit.NoRequest(why)
	}
	name := p.Prefix + b.sep + req.ID
	if !validSecretID.MatchString(name) {
		return kit.NoRequest(strconv.Quote(name) + " is not a valid secret id")
	}
	return "projects/" + b.project + "/secrets/" + name + "/versions/latest"
}
