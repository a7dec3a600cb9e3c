package executionapi

import (
	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Backend)(nil)

// Describe names the request a lookup of req makes ("GET <url>"), or why
// it makes none, for resolver.Explain. req.Team is not sent, as in Lookup.
func (b *Backend) Describe(req resolver.Request) string {
	target, skip := route(b.display, req)
	switch {
	case target != "":
		return "GET " + target
	case skip != "":
		return kit.NoRequest(skip)
	case req.Kind == resolver.KindConfig:
		return kit.NoRequest("the Execution API serves no config")
	}
	return kit.DescribeNotServed(req.Kind)
}
