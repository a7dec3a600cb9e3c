package vault_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
)

// TestTeamPathsReal: team lookups against a real Vault, KV v2 and v1: a
// team reads <path>/<team>/<id> under each path of a list and never the
// global <path>/<id>; a lookup without a team reads the global one;
// global_secrets_path is the last path.
func TestTeamPathsReal(t *testing.T) {
	v := realVault(t)
	for _, kv := range []int{2, 1} {
		t.Run(map[int]string{1: "kv1", 2: "kv2"}[kv], func(t *testing.T) {
			ns := randomName("teams-")
			v.put(t, kv, ns+"/variables/team_a/hello", map[string]any{"value": "team a"})
			v.put(t, kv, ns+"/variables/hello", map[string]any{"value": "global"})
			v.put(t, kv, ns+"/common/team-b/hello", map[string]any{"value": "team-b common"})
			v.put(t, kv, ns+"/shared/team_c/hello", map[string]any{"value": "team_c shared"})
			v.put(t, kv, ns+"/connections/team_a/db", map[string]any{"conn_type": "postgres", "host": "team-a-db", "login": "u"})
			v.put(t, kv, ns+"/config/sql", map[string]any{"value": "cfg"})

			kw := v.authKwargs(t, "token")
			kw["url"] = v.Addr
			kw["mount_point"] = v.mount(kv)
			kw["kv_engine_version"] = kv
			kw["connections_path"] = ns + "/connections"
			kw["variables_path"] = []string{ns + "/variables", ns + "/common"}
			kw["config_path"] = ns + "/config"
			kw["global_secrets_path"] = ns + "/shared"
			b := mustOpenConfig(t, kw, multiTeamOn)

			tests := []struct {
				kind, id, team, want string // want "": not found
			}{
				{kind: "var", id: "hello", team: "team_a", want: "team a"},
				{kind: "var", id: "hello", team: "team-b", want: "team-b common"},
				{kind: "var", id: "hello", team: "team_c", want: "team_c shared"},
				{kind: "var", id: "hello", team: "team_d"}, // the global secret is never read for a team
				{kind: "var", id: "hello", want: "global"},
				{kind: "conn", id: "db", team: "team_a", want: "postgres://u@team-a-db"},
				{kind: "conn", id: "db"},
				{kind: "cfg", id: "sql", team: "team_a", want: "cfg"},
			}
			for _, tt := range tests {
				got, err := teamLookup(t.Context(), b, tt.kind, tt.id, tt.team)
				what := tt.kind + " " + tt.id + " for team " + tt.team
				if tt.want == "" {
					assert.ErrorIs(t, err, resolver.ErrNotFound, what)
					continue
				}
				if assert.NoError(t, err, what) {
					assert.Equal(t, tt.want, got, what)
				}
			}

			// use_team_secrets_path false: the team is not read.
			kw["use_team_secrets_path"] = false
			off := mustOpenConfig(t, kw, multiTeamOn)
			got, err := teamLookup(t.Context(), off, "var", "hello", "team_a")
			require.NoError(t, err)
			assert.Equal(t, "global", got)
		})
	}
}

// TestTeamEmptyPathReal: with a path of "", Airflow asks for
// <mount>/data//<team>/<id> (build_path("", team) is "/<team>"); the real
// server redirects that request (307, Go's ServeMux cleaning the path) to
// <team>/<id>, which the backend reads directly.
func TestTeamEmptyPathReal(t *testing.T) {
	v := realVault(t)
	team := randomName("team")
	v.put(t, 2, team+"/hello", map[string]any{"value": "bare team"})

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, v.Addr+"/v1/"+v.KV2Mount+"/data//"+team+"/hello", nil)
	require.NoError(t, err)
	req.Header.Set("X-Vault-Token", v.RootToken)
	resp, err := http.DefaultClient.Do(req) // follows a redirect, as requests (under hvac) does
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode, "Airflow's request")
	assert.True(t, strings.Contains(string(body), `"bare team"`), "Airflow's request reads <team>/<id>")

	kw := v.authKwargs(t, "token")
	kw["url"] = v.Addr
	kw["mount_point"] = v.KV2Mount
	kw["variables_path"] = ""
	b := mustOpenConfig(t, kw, multiTeamOn)
	got, err := teamLookup(t.Context(), b, "var", "hello", team)
	require.NoError(t, err)
	assert.Equal(t, "bare team", got)
}
