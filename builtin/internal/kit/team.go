package kit

import (
	"errors"
	"strings"

	"github.com/secretpath/secretpath/resolver"
)

// TeamSep separates the team from the id in a team's secret name,
// <team>--<id>, in the backends that name secrets so (AWS, GCP, Azure;
// Airflow's TEAM_SEP).
const TeamSep = "--"

// Why TeamGuard refuses a lookup.
var (
	ErrTeamSepInID = errors.New("holds \"" + TeamSep + "\", which separates the team from the id in a team's secret name: with [core] multi_team on, such an id is ambiguous and never looked up, as in newest Airflow")
	ErrTeamDash    = errors.New("starts with '-': in a team's secret name, <team>--<id>, team x's id -y would be team x-'s id y, so with [core] multi_team on a team's lookup of such an id is refused (secretpath; Airflow reads it)")
)

// TeamGuard is the one rule by which a backend naming a team's secret
// <team>--<id> refuses ids that could read another team's: with
// multi_team on, an id (as the service names it) holding TeamSep, for
// every lookup, team or none (newest Airflow; configs too when configs is
// true, as AWS and Azure do, not GCP); and, secretpath's addition, a
// team's connection or variable lookup of an id starting with '-' (team
// x's -y and team x-'s y are both x---y). With both, a team's name splits
// one way only, at its last TeamSep. It returns nil when the lookup may
// go on.
func TeamGuard(multiTeam bool, configs bool, kind resolver.Kind, id, team string) error {
	switch {
	case !multiTeam:
		return nil
	case strings.Contains(id, TeamSep) && (configs || kind != resolver.KindConfig):
		return ErrTeamSepInID
	case team != "" && kind != resolver.KindConfig && strings.HasPrefix(id, "-"):
		return ErrTeamDash
	}
	return nil
}
