package gcpsecretmanager

import (
	"strings"
	"testing"

	"github.com/secretpath/secretpath/resolver"
)

// FuzzTeamNames: with multi_team on, whatever the team and id, every
// secret a lookup that is not refused reads is either the global name (no
// "--" after the prefix and sep) or one that, split at its last "--",
// gives back the caller's team and the id. So a team's name has one
// reading and no id reaches another team's namespace.
func FuzzTeamNames(f *testing.F) {
	b, err := New(f.Context(), Options{ProjectID: "p", WithoutAuthentication: true, MultiTeam: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("team_a", "test-postgres")
	f.Add("team_a", "prod__conn")
	f.Add("team_b", "team_a--db")
	f.Add("team_a--prod", "conn")
	f.Add("a-", "-b")
	f.Add("abc", "-y")
	f.Add("abc-", "y")
	f.Fuzz(func(t *testing.T, team, id string) {
		const prefix = DefaultConnectionsPrefix + DefaultSep
		req := resolver.Request{Kind: resolver.KindConnection, ID: id, Team: team}
		if id == "" || b.ambiguous(req) != nil {
			return
		}
		for _, name := range b.names(&b.places.Connections, req) {
			rest, ok := strings.CutPrefix(name, prefix)
			if !ok {
				t.Fatalf("%q: outside the prefix", name)
			}
			if !strings.Contains(rest, TeamSep) {
				continue
			}
			i := strings.LastIndex(rest, TeamSep)
			if team == "" || rest[:i] != team || rest[i+len(TeamSep):] != id {
				t.Fatalf("team %q id %q: %q is not the caller's own team's name", team, id, name)
			}
		}
	})
}
