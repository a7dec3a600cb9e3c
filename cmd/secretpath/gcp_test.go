package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/gcpfake"
)

// TestGCPBackend: `secretpath connections get` and `variables get` against
// the Secret Manager fake on loopback, configured through a config file:
// once with Application Default Credentials from the fake metadata server
// (GCE_METADATA_HOST), once with a service-account key file whose token_uri
// is the fake's token endpoint, by Airflow's class path.
func TestGCPBackend(t *testing.T) {
	f := gcpfake.New(t)
	gcpfake.Isolate(t, f)
	f.PutSecret("airflow-connections-smtp_default", "smtps://user:s3cret@relay.example.com:465")
	f.PutSecret("airflow-connections-pg", `{"conn_type": "postgresql", "host": "db.example.com", "login": "app", "password": "pw", "port": 5432, "schema": "prod"}`)
	f.PutSecret("airflow-variables-hello", "world")
	f.PutSecret("airflow-variables-corrupt", "CORRUPT-VALUE")
	f.AddFault(gcpfake.Fault{Secret: "airflow-variables-corrupt", BadCRC: true})
	f.AddFault(gcpfake.Fault{Secret: "airflow-variables-denied", Status: "PERMISSION_DENIED", Message: "Permission 'secretmanager.versions.access' denied"})

	dir := t.TempDir()
	const sa = "airflow@secretpath-test.iam.gserviceaccount.com"
	keyPath := filepath.Join(dir, "key.json")
	require.NoError(t, os.WriteFile(keyPath, f.ServiceAccountKey(sa), 0o600))
	// backend_kwargs as Airflow writes them: JSON over indented
	// continuation lines.
	adcCfg := writeFile(t, dir, "adc.cfg", fmt.Sprintf(`[secrets]
backend = gcp-secret-manager
backend_kwargs = {"endpoint": "%s",
                  "project_id": "%s"}
`, f.URL, gcpfake.ProjectID))
	keyCfg := writeFile(t, dir, "key.cfg", fmt.Sprintf(`[secrets]
backend = airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend
backend_kwargs = {"endpoint": "%s", "gcp_key_path": "%s"}
`, f.URL, keyPath))
	t.Setenv("AIRFLOW_VAR_CORRUPT", "from the environment")

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr []string
		token      string
	}{
		{name: "connection", args: []string{"--config", adcCfg, "connections", "get", "smtp_default"},
			wantStdout: "smtps://user:s3cret@relay.example.com:465\n", token: gcpfake.MetadataToken},
		{name: "variable", args: []string{"--config", adcCfg, "variables", "get", "hello"}, wantStdout: "world\n", token: gcpfake.MetadataToken},
		{name: "miss", args: []string{"--config", adcCfg, "connections", "get", "nope"}, wantCode: 1,
			wantStderr: []string{`connection "nope" not found (searched: gcp-secret-manager, env, metastore)`}, token: gcpfake.MetadataToken},
		{name: "permission denied is a miss, as in Airflow", args: []string{"--config", adcCfg, "variables", "get", "denied"}, wantCode: 1,
			wantStderr: []string{`variable "denied" not found (searched: gcp-secret-manager, env, metastore)`}, token: gcpfake.MetadataToken},
		{name: "bad checksum: logged, and the environment answers", args: []string{"--config", adcCfg, "variables", "get", "corrupt"},
			wantStdout: "from the environment\n", wantStderr: []string{`secret \"airflow-variables-corrupt\": the payload does not match its CRC32C checksum`}, token: gcpfake.MetadataToken},
		{name: "key file: connection", args: []string{"--config", keyCfg, "connections", "get", "smtp_default"},
			wantStdout: "smtps://user:s3cret@relay.example.com:465\n", token: gcpfake.ServiceAccountToken(sa)},
		{name: "key file: variable", args: []string{"--config", keyCfg, "variables", "get", "hello"}, wantStdout: "world\n", token: gcpfake.ServiceAccountToken(sa)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			res := runCLI(t, nil, tt.args...)
			assert.Equal(t, tt.wantCode, res.code, "stderr: %s", res.stderr)
			if tt.wantStdout != "" {
				assert.Equal(t, tt.wantStdout, res.stdout)
			}
			for _, s := range tt.wantStderr {
				assert.Contains(t, res.stderr, s)
			}
			assert.NotContains(t, res.stderr, "CORRUPT-VALUE")
			reqs := f.RequestsTo(gcpfake.APISecretManager)
			require.Len(t, reqs, 1, "one request to Secret Manager")
			assert.Equal(t, "Bearer "+tt.token, reqs[0].Header.Get("Authorization"), "the credentials' token reached the service")
			assert.Equal(t, gcpfake.ProjectID, reqs[0].Project)
		})
	}

	res := runCLI(t, nil, "--config", adcCfg, "connections", "get", "pg", "--output", "json")
	require.Equal(t, 0, res.code, res.stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &got))
	assert.Equal(t, map[string]any{
		"conn_id": "pg", "conn_type": "postgres", "description": nil,
		"host": "db.example.com", "schema": "prod", "login": "app", "password": "pw",
		"port": float64(5432), "extra": nil,
	}, got)
}

// TestGCPConfigErrors: bad GCP backend_kwargs are usage errors (exit 2)
// that name the key and quote no credential.
func TestGCPConfigErrors(t *testing.T) {
	gcpfake.Isolate(t, nil)
	dir := t.TempDir()
	for name, kwargs := range map[string]string{
		"sep":               `{"connections_prefix": "not:valid", "sep": ":", "project_id": "p"}`,
		"gcp_keyfile_dict":  `{"gcp_keyfile_dict": {"type": "service_account", "client_email": "e", "private_key": "PLANTED-KEY"}}`,
		"unknown":           `{"project_id": "p", "region_name": "eu"}`,
		"mutual exclusions": `{"gcp_key_path": "/k.json", "gcp_keyfile_dict": "{}"}`,
	} {
		cfg := writeFile(t, dir, "bad.cfg", "[secrets]\nbackend = gcp-secret-manager\nbackend_kwargs = "+kwargs+"\n")
		res := runCLI(t, nil, "--config", cfg, "connections", "get", "x")
		assert.Equal(t, 2, res.code, name)
		assert.Contains(t, res.stderr, "gcp-secret-manager", name)
		assert.NotContains(t, res.stderr, "PLANTED-KEY", name)
	}
}
