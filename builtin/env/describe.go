package env

import (
	"strconv"

	"github.com/secretpath/secretpath/resolver"
)

// Interface checks.
var (
	_ resolver.Backend   = (*Backend)(nil)
	_ resolver.Named     = (*Backend)(nil)
	_ resolver.Describer = (*Backend)(nil)
)

// Describe names the environment variable a lookup of req reads, for
// resolver.Explain.
func (b *Backend) Describe(req resolver.Request) string {
	id := req.ID
	var on bool
	var prefix, what string
	switch req.Kind {
	case resolver.KindConnection:
		on, prefix, what = b.connOn, b.conn, "connections"
	case resolver.KindVariable:
		on, prefix, what = b.varsOn, b.vars, "variables"
	case resolver.KindConfig:
		on, prefix, what = b.cfgOn, b.cfg, "configs"
	default:
		return "no lookup (" + req.Kind.String() + " is not a kind env serves)"
	}
	switch {
	case !on:
		return "no lookup (" + what + " are off)"
	case id == "":
		return "no lookup (empty id)"
	}
	global := "$" + prefix + upper(id) + " (" + strconv.Quote(id) + " upper-cased)"
	if !b.multiTeam || req.Kind == resolver.KindConfig {
		return global
	}
	if namesTeamNamespace(id) {
		global = "no global lookup (" + strconv.Quote(id) + " spells a team namespace, _<TEAM>" + TeamSep + "<ID>)"
	}
	if req.Team == "" {
		return global
	}
	return "$" + teamName(prefix, req.Team, id) + " (team " + strconv.Quote(req.Team) + "), then " + global
}
