package vault

import (
	"strconv"
	"strings"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Backend)(nil)

// Describe names the API paths a lookup of req reads, in order ("GET
// /v1/a, then GET /v1/b" with a paths list), or why none is read, for
// resolver.Explain. req.Team is ignored, as Lookup ignores it.
func (b *Backend) Describe(req resolver.Request) string {
	ps, ok := b.pathsFor(req.Kind)
	if !ok {
		return kit.DescribeNotServed(req.Kind)
	}
	if !ps[0].On {
		return kit.NoRequest("this kind's path is null")
	}
	var gets []string
	for i := range ps {
		if path, ok := b.path(&ps[i], req.ID); ok {
			gets = append(gets, "GET /v1/"+path)
		}
	}
	if len(gets) == 0 {
		return kit.NoRequest(strconv.Quote(req.ID) + " cannot name a secret here")
	}
	return strings.Join(gets, ", then ")
}
