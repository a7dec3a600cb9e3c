package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/internal/gcpfake"
)

// teamCLICase is one `secretpath ... --team` run against a cloud fake.
type teamCLICase struct {
	name   string
	args   []string // after --config F
	code   int
	stdout string
	has    []string // each is in stdout (stdout is then not compared whole)
	stderr string   // in stderr
}

func runTeamCLI(t *testing.T, cfg string, tests []teamCLICase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, nil, append([]string{"--config", cfg}, tt.args...)...)
			assert.Equal(t, tt.code, res.code, "stderr: %s", res.stderr)
			if tt.has == nil {
				assert.Equal(t, tt.stdout, res.stdout)
			}
			for _, h := range tt.has {
				assert.Contains(t, res.stdout, h)
			}
			assert.Contains(t, res.stderr, tt.stderr)
		})
	}
}

// TestTeamAzureKeyVault: --team with [core] multi_team on reads the team's
// Key Vault secret first, then the global one; an id spelling a team's
// namespace is not found; --explain names both secrets.
func TestTeamAzureKeyVault(t *testing.T) {
	freshHome(t)
	f := azurefake.New(t)
	azurefake.Isolate(t, f)
	f.SetSecret("airflow-connections-team-a--my-db", "postgres://team-host/db")
	f.SetSecret("airflow-connections-my-db", "postgres://global-host/db")
	cfg := writeFile(t, t.TempDir(), "airflow.cfg", fmt.Sprintf(`[core]
multi_team = True
[secrets]
backend = airflow.providers.microsoft.azure.secrets.key_vault.AzureKeyVaultBackend
backend_kwargs = {"vault_url": "%s", "tenant_id": "%s", "client_id": "%s", "client_secret": "%s",
                  "connection_verify": "%s", "verify_challenge_resource": false, "disable_instance_discovery": true}
`, f.URL, azurefake.Tenant, azurefake.ClientID, azurefake.ClientSecret, f.WriteCA(t)))
	runTeamCLI(t, cfg, []teamCLICase{
		{name: "team secret", args: []string{"connections", "get", "my_db", "--team", "team_a"}, stdout: "postgres://team-host/db\n"},
		{name: "another team: the global secret", args: []string{"connections", "get", "my_db", "--team", "team-b"}, stdout: "postgres://global-host/db\n"},
		{name: "no team: the global secret", args: []string{"connections", "get", "my_db"}, stdout: "postgres://global-host/db\n"},
		{name: "another team's namespace: not found", args: []string{"connections", "get", "team_a__my_db", "--team", "team-b"}, code: 1, stderr: "not found"},
		{name: "explain names both secrets", args: []string{"connections", "get", "my_db", "--team", "team_a", "--explain"},
			has: []string{`secret "airflow-connections-team-a--my-db" (team "team_a"), then secret "airflow-connections-my-db"`}},
	})
}

// TestTeamGCPSecretManager: the same with Secret Manager, whose team name
// keeps the id verbatim.
func TestTeamGCPSecretManager(t *testing.T) {
	freshHome(t)
	f := gcpfake.New(t)
	gcpfake.Isolate(t, f)
	f.PutSecret("airflow-connections-team_a--my_db", "postgres://team-host/db")
	f.PutSecret("airflow-connections-my_db", "postgres://global-host/db")
	cfg := writeFile(t, t.TempDir(), "airflow.cfg", fmt.Sprintf(`[core]
multi_team = True
[secrets]
backend = airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend
backend_kwargs = {"endpoint": "%s", "project_id": "%s"}
`, f.URL, gcpfake.ProjectID))
	const p = "projects/" + gcpfake.ProjectID + "/secrets/"
	runTeamCLI(t, cfg, []teamCLICase{
		{name: "team secret", args: []string{"connections", "get", "my_db", "--team", "team_a"}, stdout: "postgres://team-host/db\n"},
		{name: "another team: the global secret", args: []string{"connections", "get", "my_db", "--team", "team-b"}, stdout: "postgres://global-host/db\n"},
		{name: "no team: the global secret", args: []string{"connections", "get", "my_db"}, stdout: "postgres://global-host/db\n"},
		{name: "another team's namespace: not found", args: []string{"connections", "get", "team_a--my_db", "--team", "team-b"}, code: 1, stderr: "not found"},
		{name: "explain names both secrets", args: []string{"connections", "get", "my_db", "--team", "team_a", "--explain"},
			has: []string{p + `airflow-connections-team_a--my_db/versions/latest (team "team_a"), then ` + p + "airflow-connections-my_db/versions/latest"}},
	})
}
