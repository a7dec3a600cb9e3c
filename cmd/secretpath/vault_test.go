package main

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/internal/vaultfake"
)

// TestVaultBackend: `secretpath connections get` and `variables get`
// through a config file naming the Vault backend by its Airflow class path,
// against the fake Vault, with AppRole authentication whose secret_id comes
// from a per-key environment override.
func TestVaultBackend(t *testing.T) {
	vaultfake.Isolate(t)
	f := vaultfake.New(t)
	f.Mount("airflow", 2)
	f.Put("airflow", "connections/smtp_default", map[string]any{"conn_uri": "smtps://user:s3cret@relay.example.com:465"})
	f.Put("airflow", "connections/pg", map[string]any{"conn_type": "postgres", "host": "db.example.com", "port": "5432", "login": "app", "password": "pw", "schema": "prod"})
	f.Put("airflow", "variables/hello", map[string]any{"value": "world"})
	f.EnableAuth("", vaultfake.AppRole, vaultfake.TokenOptions{})
	f.AddCredential("approle", "role-1", "secret-1")

	cfg := writeFile(t, t.TempDir(), "secretpath.cfg", fmt.Sprintf(`[secrets]
backend = airflow.providers.hashicorp.secrets.vault.VaultBackend
backend_kwargs = {"connections_path": "connections", "variables_path": "variables",
                  "mount_point": "airflow", "url": "%s",
                  "auth_type": "approle", "role_id": "role-1"}
`, f.URL))
	t.Setenv("AIRFLOW__SECRETS__BACKEND_KWARG__SECRET_ID", "secret-1")

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "connection", args: []string{"connections", "get", "smtp_default"}, wantStdout: "smtps://user:s3cret@relay.example.com:465\n"},
		{name: "fields connection", args: []string{"connections", "get", "pg"}, wantStdout: "postgres://app:pw@db.example.com:5432/prod\n"},
		{name: "variable", args: []string{"variables", "get", "hello"}, wantStdout: "world\n"},
		{name: "miss", args: []string{"connections", "get", "nope"}, wantCode: 1, wantStderr: `connection "nope" not found (searched: vault, env`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, nil, append([]string{"--config", cfg}, tt.args...)...)
			assert.Equal(t, tt.wantCode, res.code, "stderr: %s", res.stderr)
			if tt.wantStdout != "" {
				assert.Equal(t, tt.wantStdout, res.stdout)
			}
			assert.Contains(t, res.stderr, tt.wantStderr)
			assert.NotContains(t, res.stderr, "secret-1")
		})
	}
	assert.Equal(t, len(tests), f.Count("auth/approle/login"), "one login per CLI run")
	assert.Equal(t, len(tests), f.Count("auth/token/revoke-self"), "each run revokes its token on exit")
}

// TestVaultBackendReal: the same against the real Vault dev server
// (.ci/vault.sh), with userpass authentication.
func TestVaultBackendReal(t *testing.T) {
	path := os.Getenv("SECRETPATH_VAULT_REAL")
	if path == "" {
		testutil.Missing(t, "a real Vault dev server (run .ci/vault.sh build && .ci/vault.sh start, then export SECRETPATH_VAULT_REAL=.ci/out/vault.json)")
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var info struct {
		Addr          string `json:"addr"`
		RootToken     string `json:"root_token"`
		KV2Mount      string `json:"kv2_mount"`
		UserpassMount string `json:"userpass_mount"`
		Username      string `json:"username"`
		Password      string `json:"password"`
	}
	require.NoError(t, json.Unmarshal(raw, &info))
	vaultfake.Isolate(t)
	cfg := api.DefaultConfig()
	cfg.Address = info.Addr
	root, err := api.NewClient(cfg)
	require.NoError(t, err)
	root.SetToken(info.RootToken)
	_, err = root.KVv2(info.KV2Mount).Put(t.Context(), "cli/connections/smtp_default", map[string]any{"conn_uri": "smtps://user:s3cret@relay.example.com:465"})
	require.NoError(t, err)

	file := writeFile(t, t.TempDir(), "secretpath.cfg", fmt.Sprintf(`[secrets]
backend = vault
backend_kwargs = {"connections_path": "cli/connections", "mount_point": "%s", "url": "%s",
                  "auth_type": "userpass", "auth_mount_point": "%s", "username": "%s", "password": "%s"}
`, info.KV2Mount, info.Addr, info.UserpassMount, info.Username, info.Password))
	res := runCLI(t, nil, "--config", file, "connections", "get", "smtp_default")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, "smtps://user:s3cret@relay.example.com:465\n", res.stdout)
}

// TestVaultAWSIAM: the command links the vault backend's aws_iam login
// (package builtin/vault/vaultaws): a config file asking for it reads
// through a Vault that checks the signed STS request.
func TestVaultAWSIAM(t *testing.T) {
	const akid, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	awsfake.Isolate(t)
	vaultfake.Isolate(t)
	f := vaultfake.New(t)
	f.Mount("secret", 2)
	f.Put("secret", "variables/hello", map[string]any{"value": "world"})
	f.EnableAuth("", vaultfake.AWS, vaultfake.TokenOptions{})
	f.AddCredential("aws", akid, secret)
	cfg := writeFile(t, t.TempDir(), "secretpath.cfg", fmt.Sprintf(`[secrets]
backend = vault
backend_kwargs = {"url": "%s", "auth_type": "aws_iam", "key_id": "%s", "role_id": "airflow"}
`, f.URL, akid))
	t.Setenv("AIRFLOW__SECRETS__BACKEND_KWARG__SECRET_ID", secret)
	res := runCLI(t, nil, "--config", cfg, "variables", "get", "hello")
	assert.Equal(t, 0, res.code, "stderr: %s", res.stderr)
	assert.Equal(t, "world\n", res.stdout)
	assert.NotContains(t, res.stderr, secret)
	require.NotEmpty(t, f.Requests())
	assert.Equal(t, "auth/aws/login", f.Requests()[0].Path)
}
