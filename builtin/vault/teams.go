package vault

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// Team paths, as newest Airflow's VaultBackend reads them (PR #65493, then
// PR #70006 which made the paths lists and deprecated global_secrets_path):
//
//   - With [core] multi_team on and use_team_secrets_path true (its
//     default), a connection or variable lookup for a team reads
//     <path>/<team>/<id> under each of the kind's paths in turn, and only
//     that: there is no fallback to <path>/<id>, from any path of a
//     list. Configs have no team.
//   - global_secrets_path (deprecated) is appended as one more path to
//     connections_path, variables_path and config_path, whatever
//     multi_team says; a kind switched off (null) is then read from it
//     alone. A team lookup reads <global>/<team>/<id> there too.
//   - secretpath's team guard (teamGuard): with multi_team on and
//     use_team_secrets_path true, an id holding "/" is refused for a
//     lookup without a team and for every config lookup, as the other
//     backends refuse ids holding their team separator ("--").

// deprecatedGlobal is logged (warning) when global_secrets_path is given,
// as Airflow's AirflowProviderDeprecationWarning.
const deprecatedGlobal = "vault: backend_kwargs key global_secrets_path is deprecated and will be removed in a future release " +
	"(Airflow's provider): it is read as one more, last path of connections_path, variables_path and config_path; " +
	`give those as lists instead, e.g. "connections_path": ["connections/foobar", "connections/common"]`

// teamKwargs reads use_team_secrets_path and global_secrets_path into o,
// after the path kwargs: global_secrets_path is appended to each kind's
// paths (o.Connections and the like become one-element lists first).
func teamKwargs(kw *config.Kwargs, o *Options) error {
	const useKey, globalKey = "use_team_secrets_path", "global_secrets_path"
	if kw.IsNull(useKey) {
		_, _ = kw.Decode(useKey, new(any)) // marks the key used
		o.NoTeamPaths = true               // Airflow tests it for truth: None is false
	} else {
		use, err := kw.Bool(useKey, true)
		if err != nil {
			return err
		}
		o.NoTeamPaths = !use
	}

	global, on, err := kw.OptString(globalKey, "")
	if err != nil {
		return err
	}
	if !on || !kw.Has(globalKey) {
		return nil
	}
	g, err := pathLocation(globalKey, global)
	if err != nil {
		return err
	}
	singles := [3]*location.Location{&o.Connections, &o.Variables, &o.Configs}
	lists := [3]*[]location.Location{&o.ConnectionsPaths, &o.VariablesPaths, &o.ConfigsPaths}
	for i, list := range lists {
		switch {
		case len(*list) > 0:
		case singles[i].Off:
			// Airflow appends to [] when the path is None: the kind is on,
			// read from the global path alone.
		default:
			*list = []location.Location{*singles[i]} // the zero Location: the default path
		}
		*list = append(*list, g)
		*singles[i] = location.Location{}
	}
	o.warnings = append(o.warnings, deprecatedGlobal)
	return nil
}

// teamSegment returns the path segment a lookup of req reads under each
// path before the id: req.Team for a connection or variable lookup with a
// team when multi_team is on and use_team_secrets_path true, else "". It
// returns false for a team that cannot be one path segment (it holds "/",
// or is "." or ".."): such a lookup is not found without a request.
func (b *Backend) teamSegment(req resolver.Request) (string, bool) {
	if req.Team == "" || !b.multiTeam || b.noTeamPaths || (req.Kind != resolver.KindConnection && req.Kind != resolver.KindVariable && req.Kind != 0) {
		return "", true
	}
	if strings.Contains(req.Team, "/") || req.Team == "." || req.Team == ".." {
		return "", false
	}
	return req.Team, true
}

// errBadTeam is the error of a lookup whose team cannot be a path segment.
func errBadTeam(team string) error {
	return fmt.Errorf("%s: team %q cannot be a path segment: %w", Name, team, resolver.ErrNotFound)
}

// Why the team guard refuses a lookup (see teamGuard).
const (
	guardNoTeam = `the id holds "/", which separates the team from the id in a team's path (<path>/<team>/<id>): ` +
		`a lookup without a team of such an id could read a team's secret, so with [core] multi_team on and ` +
		`use_team_secrets_path true it is refused (secretpath; Airflow reads it)`
	guardConfig = `the id holds "/", which separates the team from the id in a team's path (<path>/<team>/<id>): ` +
		`a config has no team, and config_path (with global_secrets_path appended, or the same as another kind's path) ` +
		`could hold a team's folder, so with [core] multi_team on and use_team_secrets_path true ` +
		`a config lookup of such an id is refused (secretpath; Airflow reads it)`
)

// teamGuard says why a lookup of req makes no request because its id
// could spell a team's folder, or "". With multi_team on and
// use_team_secrets_path true, a team's secrets are <path>/<team>/<id>, so
// an id holding "/" (after the mount's segment, mount_point null) would
// read team_b's folder from a lookup without a team (id team_b/x), or
// from a config lookup (configs have no team). A team's own lookup of x/y
// reads <path>/<team>/x/y, inside its folder, and is kept.
func (b *Backend) teamGuard(req resolver.Request) string {
	if !b.multiTeam || b.noTeamPaths {
		return ""
	}
	isConfig := req.Kind == resolver.KindConfig
	if !isConfig && req.Team != "" {
		return ""
	}
	key := req.ID
	if b.mountFromID {
		_, key, _ = strings.Cut(key, "/")
	}
	switch {
	case !strings.Contains(key, "/"):
		return ""
	case isConfig:
		return guardConfig
	}
	return guardNoTeam
}

// guardMsg is the team guard's warning.
const guardMsg = "vault: team guard: id not looked up"

// guarded returns the not-found error of a lookup of req the team guard
// refuses (see teamGuard), after logging a warning naming the id (what was
// asked for, not a secret; the value is never read), or nil.
func (b *Backend) guarded(ctx context.Context, req resolver.Request) error {
	why := b.teamGuard(req)
	if why == "" {
		return nil
	}
	kind := req.Kind
	if kind == 0 {
		kind = resolver.KindConnection
	}
	b.sess.logger.LogAttrs(ctx, slog.LevelWarn, guardMsg,
		slog.String("backend", Name), slog.String("kind", kind.String()),
		slog.String("id", req.ID), slog.String("team", req.Team), slog.String("why", why))
	return fmt.Errorf("%s: %v id %q: %s: %w", Name, kind, req.ID, why, resolver.ErrNotFound)
}
