package kit_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

// TestTeamGuard: the one team rule AWS, GCP and Azure apply.
func TestTeamGuard(t *testing.T) {
	conn, cfg := resolver.KindConnection, resolver.KindConfig
	tests := []struct {
		name      string
		multiTeam bool
		configs   bool
		kind      resolver.Kind
		id, team  string
		want      error
	}{
		{"multi_team off: anything goes", false, true, conn, "a--b", "t", nil},
		{"multi_team off: a leading dash", false, true, conn, "-y", "t", nil},
		{"'--' with a team", true, true, conn, "a--b", "t", kit.ErrTeamSepInID},
		{"'--' without a team", true, true, conn, "a--b", "", kit.ErrTeamSepInID},
		{"'--' in a config, configs checked (AWS, Azure)", true, true, cfg, "a--b", "", kit.ErrTeamSepInID},
		{"'--' in a config, configs not checked (GCP)", true, false, cfg, "a--b", "", nil},
		{"a team's leading dash", true, true, conn, "-y", "t", kit.ErrTeamDash},
		{"a leading dash without a team", true, true, conn, "-y", "", nil},
		{"a config's leading dash", true, true, cfg, "-y", "t", nil},
		{"a single dash inside", true, true, conn, "a-b", "t", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, kit.TeamGuard(tt.multiTeam, tt.configs, tt.kind, tt.id, tt.team))
		})
	}
}
