package kubernetessecrets_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
)

// TestTeams ports Airflow's multi-team lookup (PR #65694): with [core]
// multi_team on, a team's lookup selects its own secret first
// (id_label=id,team_label=team), then the global one (id_label=id,
// !team_label); a lookup without a team selects only the global one.
// With multi_team off the team is not used, as for the other backends.
func TestTeams(t *testing.T) {
	const (
		connLabel = "airflow.apache.org/connection-id"
		varLabel  = "airflow.apache.org/variable-key"
		teamLabel = "airflow.apache.org/team"
	)
	tests := []struct {
		name     string
		cfg      string
		req      resolver.Request
		want     string // "" means not found
		wantSels []string
	}{
		{
			name: "team's own secret first", cfg: multiTeam,
			req:      resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "team_a"},
			want:     "mysql://team-a-host",
			wantSels: []string{connLabel + "=db," + teamLabel + "=team_a"},
		},
		{
			name: "hyphenated team", cfg: multiTeam,
			req:      resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "team-b"},
			want:     "mysql://team-b-host",
			wantSels: []string{connLabel + "=db," + teamLabel + "=team-b"},
		},
		{
			name: "falls back to the global secret", cfg: multiTeam,
			req:      resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "team_c"},
			want:     "mysql://global-host",
			wantSels: []string{connLabel + "=db," + teamLabel + "=team_c", connLabel + "=db,!" + teamLabel},
		},
		{
			name: "no team: the global secret only", cfg: multiTeam,
			req:      resolver.Request{Kind: resolver.KindConnection, ID: "db"},
			want:     "mysql://global-host",
			wantSels: []string{connLabel + "=db,!" + teamLabel},
		},
		{
			name: "no team: a team's secret is never read", cfg: multiTeam,
			req:      resolver.Request{Kind: resolver.KindVariable, ID: "team_only"},
			wantSels: []string{varLabel + "=team_only,!" + teamLabel},
		},
		{
			name: "another team's secret is never read", cfg: multiTeam,
			req:      resolver.Request{Kind: resolver.KindVariable, ID: "team_only", Team: "team_c"},
			wantSels: []string{varLabel + "=team_only," + teamLabel + "=team_c", varLabel + "=team_only,!" + teamLabel},
		},
		{
			name: "a team that cannot be a label value: global only", cfg: multiTeam,
			req:      resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "_team_"},
			want:     "mysql://global-host",
			wantSels: []string{connLabel + "=db,!" + teamLabel},
		},
		{
			name: "configs have no team", cfg: multiTeam,
			req:      resolver.Request{Kind: resolver.KindConfig, ID: "fernet_key", Team: "team_a"},
			want:     "cfg-value",
			wantSels: []string{"airflow.apache.org/config-key=fernet_key"},
		},
		{
			name:     "multi_team off: the team is not used",
			req:      resolver.Request{Kind: resolver.KindConnection, ID: "db", Team: "team_a"},
			want:     "mysql://global-host", // the first of the list (secret names sort "a-global" first)
			wantSels: []string{connLabel + "=db"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(t)
			f := p.fake
			put := func(name string, labels map[string]string, v string) {
				f.Put(secret(name, labels, v))
			}
			put("a-global", map[string]string{connLabel: "db"}, "mysql://global-host")
			put("b-team-a", map[string]string{connLabel: "db", teamLabel: "team_a"}, "mysql://team-a-host")
			put("c-team-b", map[string]string{connLabel: "db", teamLabel: "team-b"}, "mysql://team-b-host")
			put("d-team-only", map[string]string{varLabel: "team_only", teamLabel: "team_a"}, "team-a-var")
			put("e-cfg", map[string]string{"airflow.apache.org/config-key": "fernet_key"}, "cfg-value")
			b := mustOpen(t, p.kwargs(nil), tt.cfg)
			got, err := b.Lookup(t.Context(), tt.req)
			if tt.want == "" {
				require.ErrorIs(t, err, resolver.ErrNotFound)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
			var sels []string
			for _, r := range f.Requests() {
				sels = append(sels, r.LabelSelector)
			}
			assert.Equal(t, tt.wantSels, sels)
		})
	}
}
