package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/awsfake"
)

// TestAWSBackends: `secretpath connections get` and `variables get` against
// the AWS fake on loopback (one server for SSM and Secrets Manager, checking
// every signature), configured through a config file that names
// the backends by Airflow's class paths.
func TestAWSBackends(t *testing.T) {
	awsfake.Isolate(t)
	srv := awsfake.New(t)
	srv.RequireSignatures(awsfake.Region, awsfake.Creds)
	const ns = "cli"
	srv.PutParameter("/"+ns+"/connections/smtp_default", "smtps://user:s3cret@relay.example.com:465", awsfake.SecureString)
	srv.PutParameter("/"+ns+"/variables/hello", "world", awsfake.String)
	srv.PutSecret(ns+"/connections/pg", `{"engine": "postgresql", "user": "app", "pass": "pw", "server": "db.example.com", "port": 5432, "database": "prod"}`)
	srv.PutSecret(ns+"/variables/hello", "from secrets manager")

	dir := t.TempDir()
	// backend_kwargs as Airflow writes them: JSON over indented continuation
	// lines; endpoint_url comes from a per-key environment override.
	config := func(backend, prefix string) string {
		return writeFile(t, dir, backend+".cfg", fmt.Sprintf(`[secrets]
backend = %s
backend_kwargs = {"connections_prefix": "%s/connections",
                  "variables_prefix": "%s/variables/",
                  "region_name": "%s",
                  "aws_access_key_id": "%s",
                  "aws_secret_access_key": "%s"}
`, backend, prefix, prefix, awsfake.Region, awsfake.Creds.AccessKeyID, awsfake.Creds.SecretAccessKey))
	}
	ssmCfg := config("airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend", "/"+ns)
	smCfg := config("airflow.contrib.secrets.aws_secrets_manager.SecretsManagerBackend", ns)
	t.Setenv("AIRFLOW__SECRETS__BACKEND_KWARG__ENDPOINT_URL", srv.URL)

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "ssm connection", args: []string{"--config", ssmCfg, "connections", "get", "smtp_default"},
			wantStdout: "smtps://user:s3cret@relay.example.com:465\n"},
		{name: "ssm variable", args: []string{"--config", ssmCfg, "variables", "get", "hello"}, wantStdout: "world\n"},
		{name: "ssm miss", args: []string{"--config", ssmCfg, "connections", "get", "nope"}, wantCode: 1,
			wantStderr: `connection "nope" not found (searched: aws-ssm, env`},
		{name: "secrets manager JSON connection", args: []string{"--config", smCfg, "connections", "get", "pg"},
			wantStdout: "postgres://app:pw@db.example.com:5432/prod\n"},
		{name: "secrets manager variable", args: []string{"--config", smCfg, "variables", "get", "hello"}, wantStdout: "from secrets manager\n"},
		{name: "secrets manager miss", args: []string{"--config", smCfg, "variables", "get", "nope"}, wantCode: 1,
			wantStderr: `variable "nope" not found (searched: aws-secrets-manager, env`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, nil, tt.args...)
			assert.Equal(t, tt.wantCode, res.code, "stderr: %s", res.stderr)
			if tt.wantStdout != "" {
				assert.Equal(t, tt.wantStdout, res.stdout)
			}
			assert.Contains(t, res.stderr, tt.wantStderr)
		})
	}

	res := runCLI(t, nil, "--config", smCfg, "connections", "get", "pg", "--output", "json")
	require.Equal(t, 0, res.code, res.stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &got))
	assert.Equal(t, map[string]any{
		"conn_id": "pg", "conn_type": "postgres", "description": nil,
		"host": "db.example.com", "schema": "prod", "login": "app", "password": "pw",
		"port": float64(5432), "extra": nil,
	}, got)
}

// TestAWSConfigErrors: a bad AWS backend_kwargs key is a usage error (exit
// 2) that names it; a lookup that fails for AWS falls through to the
// environment and is reported without any credential.
func TestAWSConfigErrors(t *testing.T) {
	awsfake.Isolate(t)
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.cfg", "[secrets]\nbackend = aws-ssm\nbackend_kwargs = {\"region_name\": \"us-east-1\", \"session_kwargs\": {}}\n")
	res := runCLI(t, nil, "--config", bad, "connections", "get", "x")
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "session_kwargs")

	f := awsfake.New(t)
	f.RequireSignatures(awsfake.Region, awsfake.Creds)
	f.AddFault(awsfake.Fault{Code: "AccessDeniedException", Message: "key " + awsfake.Creds.AccessKeyID + " is not authorized"})
	cfg := writeFile(t, dir, "denied.cfg", fmt.Sprintf("[secrets]\nbackend = aws-secrets-manager\nbackend_kwargs = %s\n", mustJSON(t, map[string]any{
		"endpoint_url": f.URL, "region_name": awsfake.Region,
		"aws_access_key_id": awsfake.Creds.AccessKeyID, "aws_secret_access_key": awsfake.Creds.SecretAccessKey,
	})))
	t.Setenv("AIRFLOW_VAR_HELLO", "from the environment")
	res = runCLI(t, nil, "--config", cfg, "variables", "get", "hello")
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, "from the environment\n", res.stdout)
	assert.Contains(t, res.stderr, "AccessDeniedException", "the failing tier is logged")
	assert.NotContains(t, res.stderr, awsfake.Creds.AccessKeyID)
	assert.NotContains(t, res.stderr, awsfake.Creds.SecretAccessKey)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
