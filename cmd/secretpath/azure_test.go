package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/azurefake"
)

// TestAzureKeyVault: `secretpath connections get` and `variables get`
// against the local Key Vault fake (TLS, challenge, token endpoint),
// configured through a config file that names the backend by Airflow's
// class path, with a client-secret credential and with
// DefaultAzureCredential reaching the managed identity endpoint.
// Isolate points AZURE_AUTHORITY_HOST and IDENTITY_ENDPOINT at the fake.
func TestAzureKeyVault(t *testing.T) {
	f := azurefake.New(t)
	azurefake.Isolate(t, f)
	f.SetSecret("airflow-connections-smtp-default", "smtps://user:s3cret@relay.example.com:465")
	f.SetSecret("airflow-connections-pg", `{"conn_type": "postgres", "host": "db.example.com", "login": "app", "password": "pw", "port": 5432, "schema": "prod"}`)
	f.SetSecret("team-variables-hello", "world")

	dir := t.TempDir()
	ca := f.WriteCA(t)
	// backend_kwargs as Airflow writes them: JSON over indented
	// continuation lines.
	clientSecret := writeFile(t, dir, "client-secret.cfg", fmt.Sprintf(`[secrets]
backend = airflow.providers.microsoft.azure.secrets.key_vault.AzureKeyVaultBackend
backend_kwargs = {"vault_url": "%s",
                  "variables_prefix": "team_variables",
                  "tenant_id": "%s",
                  "client_id": "%s",
                  "client_secret": "%s",
                  "connection_verify": "%s",
                  "verify_challenge_resource": false,
                  "disable_instance_discovery": true}
`, f.URL, azurefake.Tenant, azurefake.ClientID, azurefake.ClientSecret, ca))
	managedIdentity := writeFile(t, dir, "managed-identity.cfg", fmt.Sprintf(`[secrets]
backend = azure-key-vault
backend_kwargs = {"vault_url": "%s", "connection_verify": "%s", "verify_challenge_resource": false}
`, f.URL, ca))

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "client secret: connection", args: []string{"--config", clientSecret, "connections", "get", "smtp_default"},
			wantStdout: "smtps://user:s3cret@relay.example.com:465\n"},
		{name: "client secret: variable under a custom prefix", args: []string{"--config", clientSecret, "variables", "get", "hello"}, wantStdout: "world\n"},
		{name: "client secret: miss", args: []string{"--config", clientSecret, "connections", "get", "nope"}, wantCode: 1,
			wantStderr: `connection "nope" not found (searched: azure-key-vault, env, metastore)`},
		{name: "managed identity: connection", args: []string{"--config", managedIdentity, "connections", "get", "smtp_default"},
			wantStdout: "smtps://user:s3cret@relay.example.com:465\n"},
		{name: "managed identity: JSON connection", args: []string{"--config", managedIdentity, "connections", "get", "pg"},
			wantStdout: "postgres://app:pw@db.example.com:5432/prod\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, nil, tt.args...)
			assert.Equal(t, tt.wantCode, res.code, "stderr: %s", res.stderr)
			if tt.wantStdout != "" {
				assert.Equal(t, tt.wantStdout, res.stdout)
			}
			assert.Contains(t, res.stderr, tt.wantStderr)
			assert.NotContains(t, res.stderr, azurefake.ClientSecret)
		})
	}
	assert.Positive(t, f.Count(azurefake.KindToken), "the client-secret credential asked the authority")
	assert.Positive(t, f.Count(azurefake.KindManagedIdentity), "DefaultAzureCredential asked the managed identity endpoint")

	res := runCLI(t, nil, "--config", clientSecret, "connections", "get", "pg", "--output", "json")
	require.Equal(t, 0, res.code, res.stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &got))
	assert.Equal(t, "db.example.com", got["host"])
	assert.Equal(t, "pw", got["password"])
}

// TestAzureKeyVaultErrors: a bad kwarg is a usage error (exit 2) naming
// it; a lookup the vault refuses falls through to the environment and is
// logged without the client secret.
func TestAzureKeyVaultErrors(t *testing.T) {
	f := azurefake.New(t)
	azurefake.Isolate(t, f)
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.cfg", "[secrets]\nbackend = azure-key-vault\nbackend_kwargs = {\"vault_url\": \"https://kv.vault.azure.net/\", \"logging_enabled\": true}\n")
	res := runCLI(t, nil, "--config", bad, "connections", "get", "x")
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "logging_enabled")
	assert.Contains(t, res.stderr, `logging_enabled (did you mean "logging_enable"?)`)

	f.AddFault(azurefake.Fault{Status: 403, Code: "Forbidden", Inner: "AccessDenied",
		Message: "The user, group or application 'appid=" + azurefake.ClientID + "' does not have secrets get permission on key vault 'kv'."})
	cfg := writeFile(t, dir, "denied.cfg", fmt.Sprintf("[secrets]\nbackend = azure-key-vault\nbackend_kwargs = %s\n", mustJSON(t, map[string]any{
		"vault_url": f.URL, "tenant_id": azurefake.Tenant, "client_id": azurefake.ClientID, "client_secret": azurefake.ClientSecret,
		"connection_verify": f.WriteCA(t), "verify_challenge_resource": false, "disable_instance_discovery": true,
	})))
	t.Setenv("AIRFLOW_VAR_HELLO", "from the environment")
	res = runCLI(t, nil, "--config", cfg, "variables", "get", "hello")
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, "from the environment\n", res.stdout)
	assert.Contains(t, res.stderr, "HTTP 403 Forbidden (Forbidden/AccessDenied)", "the failing tier is logged")
	assert.NotContains(t, res.stderr, azurefake.ClientSecret)
}
