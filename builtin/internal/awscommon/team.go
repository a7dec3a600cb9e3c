package awscommon

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

// TeamSep separates the team from the id in a team's name, as newest
// Airflow's AWS backends spell it (PR #65703): <prefix>/<team>--<id>.
const TeamSep = kit.TeamSep

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
//     takes none);
//   - secretpath's addition, as the GCP and Azure backends: a connection
//     or variable lookup for a team of an id starting with '-' is never
//     made either (team x's "-y" and team "x-"'s "y" both build "x---y";
//     Airflow reads it). With both rules a team's name splits one way
//     only, at its last "--".
//
// Each refused lookup is not found, makes no request, and logs a warning
// saying why.
//
// With multi_team off, a request's team is ignored and an id with "--" is
// an ordinary id (Airflow passes no team then, and PR #71078 keeps such
// ids readable).
type Teams struct {
	// MultiTeam is [core] multi_team.
	MultiTeam bool
	// Backend names the backend in the warnings; Logger gets them (nil:
	// slog.Default()).
	Backend string
	Logger  *slog.Logger
}

// refused says why a lookup of req makes no request because its id could
// spell another team's namespace (kit.TeamGuard, configs included), or "".
func (t Teams) refused(req resolver.Request) string {
	if err := kit.TeamGuard(t.MultiTeam, true, req.Kind, req.ID, req.Team); err != nil {
		return "the id " + err.Error()
	}
	return ""
}

// Names returns the names a lookup of req reads at p, in order, given
// name (a backend's naming of an id at a Place): the team's name first
// when multi_team is on and the request is a connection's or a variable's
// with a team, then the global one.
// It returns why no request is made instead when p says so (the kind is
// off, an empty id, a lookup pattern the id does not match) or the id
// could spell a team's namespace; the latter is logged as a warning.
func (t Teams) Names(ctx context.Context, p *kit.Place, req resolver.Request, name func(p *kit.Place, id string) string) (names []string, skip string) {
	names, skip, team := t.names(p, req, name)
	if team {
		logger := t.Logger
		if logger == nil {
			logger = slog.Default()
		}
		// The id is not a secret (it is what was asked for); the value
		// was never read.
		logger.LogAttrs(ctx, slog.LevelWarn, "team namespace guard: id not looked up",
			slog.String("backend", t.Backend), slog.String("kind", req.Kind.String()),
			slog.String("id", req.ID), slog.String("team", req.Team), slog.String("why", skip))
	}
	return names, skip
}

// names is Names without the warning; team reports a team rule's refusal.
func (t Teams) names(p *kit.Place, req resolver.Request, name func(p *kit.Place, id string) string) (names []string, skip string, team bool) {
	if why := p.Skip(req.ID); why != "" {
		return nil, why, false
	}
	if why := t.refused(req); why != "" {
		return nil, why, true
	}
	global := name(p, req.ID)
	// Airflow's get_config takes no team: configs are never a team's.
	if !t.MultiTeam || req.Team == "" || req.Kind == resolver.KindConfig {
		return []string{global}, "", false
	}
	return []string{name(p, req.Team+TeamSep+req.ID), global}, "", false
}

// Describe says what a lookup of req asks for at p, for resolver.Explain:
// `what "<team's name>" (team "t"), then what "<global name>"`, or why no
// request is made.
func (t Teams) Describe(p *kit.Place, req resolver.Request, what string, name func(p *kit.Place, id string) string) string {
	names, skip, _ := t.names(p, req, name)
	if skip != "" {
		return kit.NoRequest(skip)
	}
	if len(names) == 1 {
		return what + " " + strconv.Quote(names[0])
	}
	return what + " " + strconv.Quote(names[0]) + " (team " + strconv.Quote(req.Team) + "), then " + what + " " + strconv.Quote(names[1])
}
