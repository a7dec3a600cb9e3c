package localfs

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Backend)(nil)

// Describe names the file and key a lookup of id reads, for
// resolver.Explain.
func (b *Backend) Describe(kind resolver.Kind, id string) string {
	s, what := b.cfgs, "configs_file_path"
	switch kind {
	case resolver.KindConnection:
		s, what = b.conns, "connections_file_path"
	case resolver.KindVariable:
		s, what = b.vars, "variables_file_path"
	}
	if s == nil {
		return "no lookup (no " + what + ")"
	}
	return "file " + strconv.Quote(s.path) + ", key " + strconv.Quote(id)
}
