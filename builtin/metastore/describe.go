package metastore

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Store)(nil)

// Describe names the table row a lookup of req reads and the database
// kind (never the DSN, which may hold a password), for Resolver.Explain.
// req.Team is not used: the lookup is the same for every team.
func (s *Store) Describe(req resolver.Request) string {
	id := req.ID
	where := s.t.d.name
	if s.t.path != "" {
		where += " " + strconv.Quote(s.t.path)
	}
	switch req.Kind {
	case resolver.KindConnection:
		return "table connection, conn_id " + strconv.Quote(id) + " (" + where + ")"
	case resolver.KindVariable:
		return "table variable, key " + strconv.Quote(id) + " (" + where + ")"
	}
	return "no lookup (the metastore holds no configs)"
}
