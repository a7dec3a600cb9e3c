package gcpsecretmanager

import (
	"strconv"
	"strings"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Backend)(nil)

// Describe names the secret versions a lookup of req reads, in order
// (the team's, then the global one), or why none is read, for
// resolver.Explain.
func (b *Backend) Describe(req resolver.Request) string {
	p, ok := b.places.For(req.Kind)
	if !ok {
		return kit.NoRequest(Name + " holds no " + req.Kind.String())
	}
	if why := p.Skip(req.ID); why != "" {
		return kit.NoRequest(why)
	}
	if why := b.ambiguous(req); why != nil {
		return kit.NoRequest(strconv.Quote(req.ID) + " " + why.Error())
	}
	var out []string
	for i, name := range b.names(p, req) {
		d := "projects/" + b.project + "/secrets/" + name + "/versions/latest"
		if !validSecretID(name) {
			d = "no request (" + strconv.Quote(name) + " is not a valid secret id)"
		}
		if i == 0 && req.Team != "" && b.multiTeam && req.Kind != resolver.KindConfig {
			d += " (team " + strconv.Quote(req.Team) + ")"
		}
		out = append(out, d)
	}
	return strings.Join(out, ", then ")
}
