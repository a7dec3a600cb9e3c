package metastore

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.Describer = (*Store)(nil)

// Describe names the table row a lookup of req reads and the database
// kind (never the DSN, which may hold a password), for Resolver.Explain:
// with multi_team on and a team, the row whose team_name is that team or
// NULL (one query, as Airflow's); otherwise the row of no team.
func (s *Store) Describe(req resolver.Request) string {
	id := req.ID
	where := s.t.d.name
	if s.t.path != "" {
		where += " " + strconv.Quote(s.t.path)
	}
	team := ""
	if t := s.team(req); t != "" {
		team = " with team_name " + strconv.Quote(t) + " or NULL"
	}
	switch req.Kind {
	case resolver.KindConnection:
		return "table connection, conn_id " + strconv.Quote(id) + team + " (" + where + ")"
	case resolver.KindVariable:
		return "table variable, key " + strconv.Quote(id) + team + " (" + where + ")"
	}
	return "no lookup (the metastore holds no configs)"
}
