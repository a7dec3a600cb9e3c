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
// resolver.Explain. A lookup for a team names the team's paths (multi_team
// on); with use_team_secrets_path false it says the team is not read. An
// id the team guard refuses is "no request (...)" with the reason.
func (b *Backend) Describe(req resolver.Request) string {
	ps, ok := b.pathsFor(req.Kind)
	if !ok {
		return kit.DescribeNotServed(req.Kind)
	}
	if !ps[0].On {
		return kit.NoRequest("this kind's path is null")
	}
	team, ok := b.teamSegment(req)
	if !ok {
		return kit.NoRequest("team " + strconv.Quote(req.Team) + " cannot be a path segment")
	}
	if ps[0].Match(req.ID) && !hasDotSegment(req.ID) {
		if why := b.teamGuard(req); why != "" {
			return kit.NoRequest(strconv.Quote(req.ID) + ": " + why)
		}
	}
	var gets []string
	for i := range ps {
		if path, ok := b.teamPath(&ps[i], req.ID, team); ok {
			gets = append(gets, "GET /v1/"+path)
		}
	}
	if len(gets) == 0 {
		return kit.NoRequest(strconv.Quote(req.ID) + " cannot name a secret here")
	}
	out := strings.Join(gets, ", then ")
	if req.Team != "" && b.multiTeam && b.noTeamPaths && req.Kind != resolver.KindConfig {
		out += " (use_team_secrets_path is false: no team path)"
	}
	return out
}
