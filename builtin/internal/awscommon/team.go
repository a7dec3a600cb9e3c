package awscommon

import (
	"strconv"
	"strings"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

// TeamSep separates the team from the id in a team's name, as newest
// Airflow's AWS backends spell it (PR #65703): <prefix>/<team>--<id>.
const TeamSep = "--"

// Teams is how the AWS backends scope a lookup by team, as newest
// Airflow's SystemsManagerParameterStoreBackend and SecretsManagerBackend
// do (PRs #65703, #70878, #71078). Only with [core] multi_team on:
//
//   - an id that holds TeamSep is never looked up, neither under a team's
//     name nor under the global one, for any kind (configs too): team "a"
//     asking for "b--c" would build the very name team "a--b" builds for
//     "c", and without a team the global name would land in some team's
//     namespace;
//   - a connection or variable lookup for a team first reads the team's
//     name, <team>--<id> where the id would go, then, when that is not
//     found, the global name (configs have no team: Airflow's get_config
//     takes none).
//
// With multi_team off, a request's team is ignored and an id with "--" is
// an ordinary id (Airflow passes no team then, and PR #71078 keeps such
// ids readable).
type Teams struct {
	// MultiTeam is [core] multi_team.
	MultiTeam bool
}

// Refused reports whether a lookup of id makes no request because the id
// spells a team's namespace.
func (t Teams) Refused(id string) bool {
	return t.MultiTeam && strings.Contains(id, TeamSep)
}

// refusal is the reason Describe gives for a refused id.
const refusal = "the id contains \"" + TeamSep + "\", which separates a team from an id in a team's name ([core] multi_team is on)"

// Names returns the names a lookup of req reads at p, in order, given
// name (a backend's naming of an id at a Place): the team's name first
// when multi_team is on and the request is a connection's or a variable's
// with a team, then the global one.
// It returns why no request is made instead when p says so (the kind is
// off, an empty id, a lookup pattern the id does not match) or the id
// spells a team's namespace.
func (t Teams) Names(p *kit.Place, req resolver.Request, name func(p *kit.Place, id string) string) (names []string, skip string) {
	if why := p.Skip(req.ID); why != "" {
		return nil, why
	}
	if t.Refused(req.ID) {
		return nil, refusal
	}
	global := name(p, req.ID)
	// Airflow's get_config takes no team: configs are never a team's.
	if !t.MultiTeam || req.Team == "" || req.Kind == resolver.KindConfig {
		return []string{global}, ""
	}
	return []string{name(p, req.Team+TeamSep+req.ID), global}, ""
}

// Describe says what a lookup of req asks for at p, for resolver.Explain:
// `what "<team's name>" (team "t"), then what "<global name>"`, or why no
// request is made.
func (t Teams) Describe(p *kit.Place, req resolver.Request, what string, name func(p *kit.Place, id string) string) string {
	names, skip := t.Names(p, req, name)
	if skip != "" {
		return kit.NoRequest(skip)
	}
	if len(names) == 1 {
		return what + " " + strconv.Quote(names[0])
	}
	return what + " " + strconv.Quote(names[0]) + " (team " + strconv.Quote(req.Team) + "), then " + what + " " + strconv.Quote(names[1])
}
