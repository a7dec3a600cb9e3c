package azurekeyvault

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// MaxNameLen is the longest secret name Key Vault accepts.
const MaxNameLen = 127

// teamSep is newest Airflow's separator between a team and an id in a
// team-scoped secret name (TEAM_SEP).
const teamSep = "--"

// Why a lookup was answered "not found" without a request. Each is wrapped
// with resolver.ErrNotFound and the id.
var (
	errKindOff     = errors.New("this kind is switched off (its prefix is null)")
	errEmptyID     = errors.New("an empty id is never looked up")
	errInvalidName = errors.New("is not a valid Key Vault secret name (1-127 of 0-9, a-z, A-Z and -), so no such secret can exist")
	errTeamScoped  = errors.New("spells a team-scoped secret name (<team>--<id>), which newest Airflow never reads without a team when [core] multi_team is on")
)

// namer builds secret names the way Airflow's AzureKeyVaultBackend does.
type namer struct {
	sep  string
	team *regexp.Regexp // Airflow's _is_team_specific_accessed_as_global pattern
	// multiTeam is [core] multi_team: only then is an id that spells a
	// team-scoped name refused (Airflow PR #71078).
	multiTeam bool
}

// newNamer checks sep: it is part of every name, so it must be made of
// characters Key Vault accepts.
func newNamer(sep string, multiTeam bool) (namer, error) {
	if sep == "" || !validChars(sep) {
		return namer{}, fmt.Errorf("%w: backend_kwargs key %q must be one or more of 0-9, a-z, A-Z and - (it is part of every Key Vault secret name)", config.ErrInvalid, "sep")
	}
	// Airflow: rf"[^{re.escape(sep)}]+{re.escape(TEAM_SEP)}.+", full match.
	var class strings.Builder
	for _, c := range []byte(sep) {
		if c == '-' {
			class.WriteString(`\-`)
		} else {
			class.WriteByte(c)
		}
	}
	return namer{sep: sep, team: regexp.MustCompile(`^[^` + class.String() + `]+` + teamSep + `.+$`), multiTeam: multiTeam}, nil
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

// name returns the secret name for id, looked up with team (or without
// one: ""), or an error wrapping resolver.ErrNotFound when no request is
// to be made.
func (n namer) name(p *kit.Place, id, team string) (string, error) {
	switch {
	case !p.On:
		return "", notFound(id, errKindOff)
	case id == "":
		return "", notFound(id, errEmptyID)
	}
	mapped := n.mapName(id)
	if n.multiTeam && team == "" && n.team.MatchString(mapped) {
		return "", notFound(id, errTeamScoped)
	}
	name := mapped
	if p.Prefix != "" {
		name = p.Prefix + n.sep + mapped
	}
	if len(name) > MaxNameLen || !validChars(name) {
		return "", fmt.Errorf("%w: id %q: secret name %q %w", resolver.ErrNotFound, id, truncate(name, 140), errInvalidName)
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
