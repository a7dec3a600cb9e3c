package azurekeyvault

import (
	"errors"
	"fmt"
	"strings"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// MaxNameLen is the longest secret name Key Vault accepts.
const MaxNameLen = 127

// TeamSep is newest Airflow's separator between a team and an id in a
// team-scoped secret name (AzureKeyVaultBackend.TEAM_SEP):
// <prefix><sep><team>--<id>, team and id mapped as names are.
const TeamSep = kit.TeamSep

// Why a lookup was answered "not found" without a request. Each is wrapped
// with resolver.ErrNotFound and the id.
var (
	errKindOff     = errors.New("this kind is switched off (its prefix is null)")
	errEmptyID     = errors.New("an empty id is never looked up")
	errInvalidName = errors.New("is not a valid Key Vault secret name (1-127 of 0-9, a-z, A-Z and -), so no such secret can exist")
)

// namer builds secret names the way Airflow's AzureKeyVaultBackend does.
type namer struct {
	sep string
	// multiTeam is [core] multi_team: only then is a request's team read
	// and an id that spells a team-scoped name refused (Airflow PR #71078).
	multiTeam bool
}

// newNamer checks sep: it is part of every name, so it must be made of
// characters Key Vault accepts.
func newNamer(sep string, multiTeam bool) (namer, error) {
	if sep == "" || !validChars(sep) {
		return namer{}, fmt.Errorf("%w: backend_kwargs key %q must be one or more of 0-9, a-z, A-Z and - (it is part of every Key Vault secret name)", config.ErrInvalid, "sep")
	}
	return namer{sep: sep, multiTeam: multiTeam}, nil
}

// place maps a compiled prefix (the characters of sep already stripped
// from its end, as Airflow's str.rstrip(sep) does) as names are mapped.
// The mapped prefix must be made of characters Key Vault accepts and leave
// room for an id; the error names the kind's kwarg.
func (n namer) place(p *kit.Place) error {
	if !p.On {
		return nil
	}
	p.Prefix = n.mapName(p.Prefix)
	if !validChars(p.Prefix) || len(p.Prefix)+len(n.sep) >= MaxNameLen {
		return fmt.Errorf("%w: backend_kwargs key %q must leave a valid Key Vault secret name: 0-9, a-z, A-Z, - and _ (which becomes sep), shorter than %d characters", config.ErrInvalid, p.Kwarg, MaxNameLen-len(n.sep))
	}
	return nil
}

// names returns the secret names a lookup of id for team ("" for none)
// reads, in order, or an error wrapping resolver.ErrNotFound when no
// request is to be made. As newest Airflow's AzureKeyVaultBackend does:
//
//   - with multi_team on, an id holding TeamSep once mapped is refused for
//     every lookup, with a team or without, whatever the kind (PRs #70876,
//     #70899, #71078): team a's id b--c and team a--b's id c are one name,
//     so no reading of it is safe;
//   - with multi_team on and a team (connections and variables only: a
//     config has no team), the team-scoped name
//     <prefix><sep><team>--<id> comes first, '_' and '.' mapped over the
//     whole name; one Key Vault cannot hold (a team too long, say) is left
//     out;
//   - then the global name <prefix><sep><id>.
//
// And, secretpath's: a team's lookup of an id that starts with '-' once
// mapped (-y, _y) is refused too: team x's -y and team x-'s y are both
// x---y. With both refusals a team's name splits one way only, at its
// last TeamSep.
func (n namer) names(p *kit.Place, kind resolver.Kind, id, team string) ([]string, error) {
	switch {
	case !p.On:
		return nil, notFound(id, errKindOff)
	case id == "":
		return nil, notFound(id, errEmptyID)
	}
	mapped := n.mapName(id)
	if err := kit.TeamGuard(n.multiTeam, true, kind, mapped, team); err != nil {
		return nil, notFound(id, fmt.Errorf("once mapped, %w", err))
	}
	global, err := n.join(p.Prefix, mapped, id)
	if err != nil {
		return nil, err
	}
	if !n.multiTeam || team == "" || kind == resolver.KindConfig {
		return []string{global}, nil
	}
	scoped, err := n.join(p.Prefix, n.mapName(team)+TeamSep+mapped, id)
	if err != nil {
		return []string{global}, nil
	}
	return []string{scoped, global}, nil
}

// join puts prefix (already mapped) and the mapped rest together and
// checks that Key Vault can hold the name.
func (n namer) join(prefix, rest, id string) (string, error) {
	name := rest
	if prefix != "" {
		name = prefix + n.sep + rest
	}
	if len(name) > MaxNameLen || !validChars(name) {
		return "", fmt.Errorf("%w: id %q: secret name %q %w", resolver.ErrNotFound, truncate(id, 140), truncate(name, 140), errInvalidName)
	}
	return name, nil
}

func notFound(id string, why error) error {
	return fmt.Errorf("%w: id %q: %w", resolver.ErrNotFound, truncate(id, 140), why)
}

// mapName replaces every '_' (Airflow) and every '.' (secretpath: Airflow
// would send it and fail) with sep.
func (n namer) mapName(s string) string {
	if !strings.ContainsAny(s, "_.") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '_' || c == '.' {
			b.WriteString(n.sep)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// validChars reports whether s holds only 0-9, a-z, A-Z and '-'.
func validChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// truncate shortens s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
