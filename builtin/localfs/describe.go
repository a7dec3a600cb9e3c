package localfs

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

// Describe names the file and key a lookup of req reads, for
// resolver.Explain. req.Team is ignored, as it is by lookups.
func (b *Backend) Describe(req resolver.Request) string {
	var s *source
	var what string
	switch req.Kind {
	case resolver.KindConnection:
		s, what = b.conns, "connections_file_path"
	case resolver.KindVariable:
		s, what = b.vars, "variables_file_path"
	case resolver.KindConfig:
		s, what = b.cfgs, "configs_file_path"
	default:
		return "no lookup (" + req.Kind.String() + " is not a kind localfs serves)"
	}
	if s == nil {
		return "no lookup (no " + what + ")"
	}
	return "file " + strconv.Quote(s.path) + ", key " + strconv.Quote(req.ID)
}
