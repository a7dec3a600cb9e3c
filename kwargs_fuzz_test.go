package secretpath_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// isolateClouds keeps every cloud SDK's credential chain on loopback and
// away from the machine's own configuration while backends are built from
// arbitrary kwargs. It sets process environment for the whole fuzz run.
func isolateClouds(t testing.TB) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_DISABLED":      "true",
		"AWS_CONFIG_FILE":                filepath.Join(dir, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE":    filepath.Join(dir, "aws-credentials"),
		"GCE_METADATA_HOST":              "127.0.0.1:9", // discard port: nothing answers
		"GOOGLE_APPLICATION_CREDENTIALS": filepath.Join(dir, "no-such-adc.json"),
		"CLOUDSDK_CONFIG":                dir,
		"AZURE_TOKEN_CREDENTIALS":        "ManagedIdentityCredential",
		"IDENTITY_ENDPOINT":              "http://127.0.0.1:9/msi/token",
		"IDENTITY_HEADER":                "x",
		"VAULT_ADDR":                     "http://127.0.0.1:9",
		"VAULT_TOKEN":                    "",
		"HOME":                           dir,
		"SECRETPATH_EXECUTION_API_TOKEN": "fuzz-token", // so the Execution API's kwargs are read
	} {
		t.Setenv(k, v)
	}
	os.Unsetenv("VAULT_TOKEN")
}

// FuzzBackendKwargs builds every registered backend from arbitrary
// backend_kwargs text: building never panics, and a refusal is a
// configuration error. (Backends connect lazily: nothing here reaches a
// server.) The first byte picks the backend.
func FuzzBackendKwargs(f *testing.F) {
	seeds := []string{
		`{}`, `null`, `[]`, `{"connections_prefix": null}`, `{"connections_prefix": ""}`,
		`{"connections_file_path": "c.json", "variables_file_path": "v.env"}`,
		`{"connections_prefix": "/airflow/connections", "variables_prefix": null, "region_name": "us-east-1", "endpoint_url": "http://127.0.0.1:9"}`,
		`{"connections_lookup_pattern": "(", "full_url_mode": false, "are_secret_values_urlencoded": true}`,
		`{"assume_role_kwargs": {"DurationSeconds": "x"}, "role_arn": "arn:aws:iam::1:role/r"}`,
		`{"timeout_seconds": -1, "sep": "", "config_prefix": 7}`,
		`{"url": "http://127.0.0.1:9", "auth_type": "approle", "mount_point": null, "kv_engine_version": 3}`,
		`{"project_id": "p", "gcp_keyfile_dict": {"type": "service_account"}, "endpoint": "http://127.0.0.1:9"}`,
		`{"vault_url": "https://127.0.0.1:9", "tenant_id": "t", "client_id": "c"}`,
		`{"a": 1, "a": 2}`, "{\"k\": \"\xff\"}",
	}
	names := resolver.Registered()
	for i, s := range seeds {
		f.Add(byte(i), []byte(s))
	}
	isolateClouds(f)
	f.Fuzz(func(t *testing.T, pick byte, data []byte) {
		kw, err := config.ParseKwargs(data)
		if err != nil {
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("ParseKwargs: not a configuration error: %v", err)
			}
			return
		}
		name := names[int(pick)%len(names)].Name
		b, err := resolver.OpenBackend(t.Context(), name, resolver.Env{Kwargs: kw})
		if err != nil {
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("%s: a refusal that is not a configuration error: %v", name, err)
			}
			return
		}
		if c, ok := b.(io.Closer); ok {
			c.Close()
		}
	})
}
