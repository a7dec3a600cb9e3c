// Package env is the environment-variables backend: Airflow's
// EnvironmentVariablesBackend. Connection conn_id is read from
// AIRFLOW_CONN_<CONN_ID upper-cased> and variable key from
// AIRFLOW_VAR_<KEY upper-cased>; nothing else about the id is changed
// ("my-conn" is AIRFLOW_CONN_MY-CONN).
//
// Teams (Airflow 3.2+): with [core] multi_team on (Options.MultiTeam in
// Go), a lookup for a team first reads the team's name,
// AIRFLOW_CONN__<TEAM upper-cased>___<CONN_ID upper-cased> (one '_' before
// the team, three after it; AIRFLOW_VAR__<TEAM>___<KEY> for variables),
// and falls back to the global name when that is unset or empty. An id
// spelled like a team namespace, _<TEAM>___<rest> with a valid team name
// (see ValidTeam), is then never read from the global name (it would land
// in some team's namespace): it is not found. With multi_team off,
// req.Team is ignored and such an id is an ordinary one, as newest Airflow
// does (PR #71079). Configs have no team names.
//
// Importing the package registers it as "env" (alias
// airflow.secrets.environment_variables.EnvironmentVariablesBackend) for
// the environment role: resolver.Open puts it in every search path after
// the configured backend, as Airflow does.
package env

import (
	"context"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// The prefixes Airflow uses.
const (
	DefaultConnectionsPrefix = "AIRFLOW_CONN_"
	DefaultVariablesPrefix   = "AIRFLOW_VAR_"
)

// Options configure a Backend. A prefix is used only when its kind is
// enabled.
type Options struct {
	ConnectionsPrefix string // default DefaultConnectionsPrefix
	VariablesPrefix   string // default DefaultVariablesPrefix
	ConfigPrefix      string // configs are off unless ConfigsOn

	ConnectionsOff bool // hold no connections
	VariablesOff   bool // hold no variables
	ConfigsOn      bool // serve configs from ConfigPrefix + KEY upper-cased

	// MultiTeam is Airflow's [core] multi_team: only then are a request's
	// team names read and ids spelled like a team namespace refused.
	MultiTeam bool

	// LookupEnv reads a variable; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// TeamSep separates the team from the id in a team's name:
// AIRFLOW_CONN__<TEAM>___<ID>.
const TeamSep = "___"

// ValidTeam reports whether name is a team name newest Airflow accepts
// (airflow teams create, teams sync): 3-50 of [A-Za-z0-9_-] with no two
// underscores in a row (Airflow's TEAM_NAME_PATTERN,
// "(?!.*__)[a-zA-Z0-9_-]{3,50}"), so "team_a" and "team-a" are names
// and none can hold the "___" separator.
func ValidTeam(name string) bool {
	if len(name) < 3 || len(name) > 50 || strings.Contains(name, "__") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// namesTeamNamespace reports whether id spells a team's namespace,
// _<TEAM>___<REST> with a valid team name and a non-empty rest, as
// Airflow's EnvironmentVariablesBackend._names_a_team_namespace: split at
// the first "___" (a team name cannot hold one, so the split is the only
// reading). "_ab___x" names no team (too short) and stays an ordinary id.
func namesTeamNamespace(id string) bool {
	rest, ok := strings.CutPrefix(id, "_")
	if !ok {
		return false
	}
	team, rest, ok := strings.Cut(rest, TeamSep)
	return ok && rest != "" && ValidTeam(team)
}

// Backend reads connections and variables from environment variables.
type Backend struct {
	conn, vars, cfg       string
	connOn, varsOn, cfgOn bool
	multiTeam             bool
	lookup                func(string) (string, bool)
}

// New returns a Backend.
func New(o Options) *Backend {
	b := &Backend{
		conn: o.ConnectionsPrefix, vars: o.VariablesPrefix, cfg: o.ConfigPrefix,
		connOn: !o.ConnectionsOff, varsOn: !o.VariablesOff, cfgOn: o.ConfigsOn,
		multiTeam: o.MultiTeam, lookup: o.LookupEnv,
	}
	if b.conn == "" && !o.ConnectionsOff {
		b.conn = DefaultConnectionsPrefix
	}
	if b.vars == "" && !o.VariablesOff {
		b.vars = DefaultVariablesPrefix
	}
	if b.lookup == nil {
		b.lookup = os.LookupEnv
	}
	return b
}

func init() {
	resolver.Register(resolver.Registration{
		Name:    "env",
		Aliases: []string{"airflow.secrets.environment_variables.EnvironmentVariablesBackend"},
		Role:    resolver.RoleEnvironment,
		Doc:     "environment variables: AIRFLOW_CONN_<CONN_ID>, AIRFLOW_VAR_<KEY> (Airflow's EnvironmentVariablesBackend)",
		Factory: open,
	})
}

// open builds a Backend from backend_kwargs: connections_prefix,
// variables_prefix (null switches the kind off) and config_prefix (off unless
// given).
func open(_ context.Context, e resolver.Env) (resolver.Backend, error) {
	kw := e.Kwargs
	var o Options
	var on bool
	var err error
	if o.ConnectionsPrefix, on, err = kw.OptString("connections_prefix", DefaultConnectionsPrefix); err != nil {
		return nil, err
	}
	o.ConnectionsOff = !on
	if o.VariablesPrefix, on, err = kw.OptString("variables_prefix", DefaultVariablesPrefix); err != nil {
		return nil, err
	}
	o.VariablesOff = !on
	if o.ConfigPrefix, o.ConfigsOn, err = kw.OptString("config_prefix", ""); err != nil {
		return nil, err
	}
	if !kw.Has("config_prefix") {
		o.ConfigsOn = false
	}
	for _, p := range []struct {
		key   string
		on    bool
		value string
	}{
		{"connections_prefix", !o.ConnectionsOff, o.ConnectionsPrefix},
		{"variables_prefix", !o.VariablesOff, o.VariablesPrefix},
		{"config_prefix", o.ConfigsOn, o.ConfigPrefix},
	} {
		if p.on && p.value == "" {
			return nil, fmt.Errorf("%w: backend env: backend_kwargs key %q must not be empty (use null to switch a kind off)", config.ErrInvalid, p.key)
		}
	}
	if err := kw.CheckUnused("env"); err != nil {
		return nil, err
	}
	if o.MultiTeam, err = e.Config.Bool("core", "multi_team", false); err != nil {
		return nil, err
	}
	return New(o), nil
}

// Name returns "env".
func (b *Backend) Name() string { return "env" }

// Lookup returns $<prefix><ID upper-cased> for req's kind: a connection's
// value (an empty one counts as absent), a variable's (an empty value is a
// value: Airflow checks only for None) or, when configs are on, a config's.
// A kind that is off, an empty id or an unset variable is
// resolver.ErrNotFound. With multi_team on, a connection or variable is
// first read from req.Team's name (see the package doc).
func (b *Backend) Lookup(ctx context.Context, req resolver.Request) (string, error) {
	switch req.Kind {
	case resolver.KindConnection:
		// Airflow tests each name for truth: an empty one is absent.
		return b.teamGet(ctx, b.connOn, b.conn, req, false)
	case resolver.KindVariable:
		return b.teamGet(ctx, b.varsOn, b.vars, req, true)
	case resolver.KindConfig:
		return b.get(ctx, b.cfgOn, b.cfg, req.ID)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return "", resolver.ErrNotFound
}

// teamGet reads the team's name first (multi_team on, a team given), then
// the global one unless the id spells a team namespace. emptyOK says
// whether an empty global value is a value (variables) or absent
// (connections); an empty team value is absent for both, as Airflow's
// walrus test is.
func (b *Backend) teamGet(ctx context.Context, on bool, prefix string, req resolver.Request, emptyOK bool) (string, error) {
	if b.multiTeam && req.Team != "" && on && req.ID != "" {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if v, ok := b.lookup(teamName(prefix, req.Team, req.ID)); ok && v != "" {
			return v, nil
		}
	}
	if b.multiTeam && namesTeamNamespace(req.ID) {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		return "", resolver.ErrNotFound
	}
	v, err := b.get(ctx, on, prefix, req.ID)
	if err == nil && v == "" && !emptyOK {
		return "", resolver.ErrNotFound
	}
	return v, err
}

// teamName is the variable holding team's id: <prefix>_<TEAM>___<ID>.
func teamName(prefix, team, id string) string {
	return prefix + "_" + upper(team) + TeamSep + upper(id)
}

func (b *Backend) get(ctx context.Context, on bool, prefix, id string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if !on || id == "" {
		return "", resolver.ErrNotFound
	}
	v, ok := b.lookup(prefix + upper(id))
	if !ok {
		return "", resolver.ErrNotFound
	}
	return v, nil
}

// upper upper-cases s as Python's str.upper does: full Unicode case mapping
// ("ß" becomes "SS"), with a fast path for ASCII.
func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			// A Caser keeps state: one per call, never shared.
			return cases.Upper(language.Und).String(s)
		}
	}
	return strings.ToUpper(s)
}
