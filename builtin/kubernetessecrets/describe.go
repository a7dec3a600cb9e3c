package kubernetessecrets

import (
	"strconv"
	"strings"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

var _ interface {
	resolver.Backend
	resolver.Named
	resolver.Describer
} = (*Backend)(nil)

// Describe names the namespace, the label selector(s) a lookup of req
// sends, in order, and the data key read, or why no request is made, for
// resolver.Explain. It does no I/O.
func (b *Backend) Describe(req resolver.Request) string {
	p, ok := b.places.For(req.Kind)
	if !ok {
		return kit.DescribeNotServed(req.Kind)
	}
	if why := p.Skip(req.ID); why != "" {
		return kit.NoRequest(why)
	}
	if why := checkLabelValue(req.ID); why != "" {
		return kit.NoRequest(strconv.Quote(req.ID) + " cannot be a label value")
	}
	sels := b.selectors(p.Prefix, req)
	for i, s := range sels {
		sels[i] = strconv.Quote(s)
	}
	return "secrets in namespace " + strconv.Quote(b.namespace) + " with label selector " +
		strings.Join(sels, ", then ") + ", data key " + strconv.Quote(b.dataKey(req.Kind))
}

// describeSelector is Describe's text for one selector, which errors
// start with.
func describeSelector(ns, sel, dataKey string) string {
	return "secrets in namespace " + strconv.Quote(ns) + " with label selector " + strconv.Quote(sel) +
		", data key " + strconv.Quote(dataKey)
}
