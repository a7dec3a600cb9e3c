package gcpsecretmanager_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/config"
)

// planted is a value that must never appear in an error.
const planted = "PLANTED-SECRET-9f2c"

// TestKwargsErrors: every refusal is a configuration error that names the
// key at fault and never quotes a credential (the kit's kwargs: TestKit).
func TestKwargsErrors(t *testing.T) {
	f := newFake(t)
	dir := t.TempDir()
	key := string(f.ServiceAccountKey(saEmail))
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	badPEM := "-----BEGIN PRIVATE KEY-----\n" + planted + "\n-----END PRIVATE KEY-----\n"
	keyWith := func(from, to string) string {
		out := strings.Replace(key, from, to, 1)
		require.NotEqual(t, key, out)
		return out
	}

	tests := []struct {
		name string
		kw   map[string]any
		want []string
	}{
		{name: "unknown key", kw: map[string]any{"region": "eu", "secret_lookup": planted}, want: []string{"unknown backend_kwargs key(s): region, secret_lookup"}},
		{name: "misspelt key: did you mean", kw: map[string]any{"conections_prefix": "x", "projectid": "p"},
			want: []string{`unknown backend_kwargs key(s): conections_prefix (did you mean "connections_prefix"?), projectid (did you mean "project_id"?)`}},
		{name: "sep null", kw: map[string]any{"sep": nil}, want: []string{`"sep" must be a string`}},
		{name: "sep not a string", kw: map[string]any{"sep": 1}, want: []string{`"sep" must be a string`}},
		{name: "prefix with a colon", kw: map[string]any{"connections_prefix": "not:valid", "sep": ":"}, want: []string{`connections_prefix "not:valid" + sep ":" must match ^[a-zA-Z0-9-_]*$`}},
		{name: "prefix with a slash", kw: map[string]any{"connections_prefix": "not/valid", "sep": "/"}, want: []string{`connections_prefix "not/valid" + sep "/"`}},
		{name: "prefix with a space", kw: map[string]any{"connections_prefix": "a b", "sep": ""}, want: []string{`connections_prefix "a b"`}},
		{name: "prefix of a space", kw: map[string]any{"connections_prefix": " ", "sep": ""}, want: []string{`connections_prefix " "`}},
		{name: "default prefix with a bad sep", kw: map[string]any{"sep": "."}, want: []string{`connections_prefix "airflow-connections" + sep "."`}},
		{name: "project_id not a string", kw: map[string]any{"project_id": 5}, want: []string{`"project_id" must be a string`}},
		{name: "gcp_scopes not a string", kw: map[string]any{"gcp_scopes": 5}, want: []string{`"gcp_scopes" must be a string or a list of strings`}},
		{name: "impersonation_chain not a string", kw: map[string]any{"impersonation_chain": map[string]any{}}, want: []string{`"impersonation_chain" must be a string or a list of strings`}},
		{name: "impersonation_chain with an empty element", kw: map[string]any{"impersonation_chain": []string{"a@p.iam.gserviceaccount.com", " "}}, want: []string{`"impersonation_chain" holds an empty element`}},
		{name: "endpoint scheme", kw: map[string]any{"endpoint": "ftp://example.com"}, want: []string{`endpoint" must be an http or https URL`}},
		{name: "endpoint with credentials", kw: map[string]any{"endpoint": "https://user:" + planted + "@example.com"}, want: []string{`endpoint" must be an http or https URL`}},
		{name: "endpoint with a query", kw: map[string]any{"endpoint": "https://example.com/?key=" + planted}, want: []string{"without user info, query or fragment"}},
		{name: "endpoint unparsable", kw: map[string]any{"endpoint": "http://[::1" + planted}, want: []string{"endpoint"}},
		{name: "key files are mutually exclusive", kw: map[string]any{"gcp_key_path": "/k.json", "gcp_keyfile_dict": key, "gcp_credential_config_file": "/c.json"},
			want: []string{"gcp_key_path, gcp_keyfile_dict, gcp_credential_config_file are mutually exclusive"}},
		{name: "P12 key", kw: map[string]any{"gcp_key_path": "/keys/key.p12"}, want: []string{"gcp_key_path is a legacy P12 key"}},
		{name: "key path not JSON", kw: map[string]any{"gcp_key_path": "/keys/key.pem"}, want: []string{"gcp_key_path does not end in .json"}},
		{name: "key path missing", kw: map[string]any{"gcp_key_path": filepath.Join(dir, "missing.json")}, want: []string{"gcp_key_path cannot be read", "missing.json"}},
		{name: "key file not JSON", kw: map[string]any{"gcp_key_path": write("bad.json", "{"+planted)}, want: []string{`gcp_key_path "` + dir, "is not a JSON key"}},
		{name: "keyfile_dict not JSON", kw: map[string]any{"gcp_keyfile_dict": "{" + planted}, want: []string{`"gcp_keyfile_dict" must be a JSON object (not valid JSON`}},
		{name: "keyfile_dict not an object", kw: map[string]any{"gcp_keyfile_dict": []string{planted}}, want: []string{`"gcp_keyfile_dict" must be a JSON object`}},
		{name: "keyfile_dict private_key not a string", kw: map[string]any{"gcp_keyfile_dict": map[string]any{"private_key": 1}}, want: []string{`"gcp_keyfile_dict" has a private_key that is not a string`}},
		{name: "keyfile_dict of another type", kw: map[string]any{"gcp_keyfile_dict": keyWith(`"service_account"`, `"authorized_user"`)}, want: []string{`gcp_keyfile_dict is not a service-account key (type "authorized_user")`}},
		{name: "keyfile_dict without client_email", kw: map[string]any{"gcp_keyfile_dict": keyWith(`"client_email"`, `"email"`)}, want: []string{"gcp_keyfile_dict has no client_email"}},
		{name: "keyfile_dict without private_key", kw: map[string]any{"gcp_keyfile_dict": keyWith(`"private_key"`, `"key"`)}, want: []string{"gcp_keyfile_dict private_key is missing"}},
		{name: "keyfile_dict with a bad private_key", kw: map[string]any{"gcp_keyfile_dict": map[string]any{"client_email": saEmail, "private_key": badPEM}}, want: []string{"gcp_keyfile_dict private_key is not a PEM RSA private key"}},
		{name: "config file of an unsupported type", kw: map[string]any{"gcp_credential_config_file": `{"type": "gdch_service_account", "private_key": "` + planted + `"}`},
			want: []string{`gcp_credential_config_file has credential type "gdch_service_account"; supported:`}},
		{name: "config file without a type", kw: map[string]any{"gcp_credential_config_file": map[string]any{"refresh_token": planted}}, want: []string{`gcp_credential_config_file has credential type ""`}},
		{name: "config file missing", kw: map[string]any{"gcp_credential_config_file": filepath.Join(dir, "nope.json")}, want: []string{"gcp_credential_config_file cannot be read"}},
		{name: "config file not JSON", kw: map[string]any{"gcp_credential_config_file": write("cfg.json", planted)}, want: []string{`gcp_credential_config_file "` + dir, "is not a JSON credential configuration"}},
		{name: "external account that does not load", kw: map[string]any{"gcp_credential_config_file": map[string]any{"type": "external_account", "subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "token_url": "https://sts.googleapis.com/v1/token", "credential_source": map[string]any{}}},
			want: []string{"gcp_credential_config_file did not load: oauth2/google/externalaccount: Audience must be set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openKwargs(t, fakeKwargs(f, tt.kw))
			require.Error(t, err)
			assert.ErrorIs(t, err, config.ErrInvalid)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), planted)
			assert.NotContains(t, err.Error(), "PRIVATE KEY")
		})
	}

	// What Airflow accepts, so do we.
	for _, kw := range []map[string]any{
		{"connections_prefix": "", "sep": ""},
		{"connections_prefix": "ok_prefix-1", "sep": "_"},
		{"variables_prefix": "not checked", "config_prefix": "nor:this"},
		{"connections_prefix": nil, "sep": "/"},
		{"project_id": nil, "gcp_key_path": nil, "gcp_keyfile_dict": nil, "gcp_credential_config_file": nil, "gcp_scopes": nil, "impersonation_chain": nil},
		{"gcp_scopes": []string{"https://www.googleapis.com/auth/cloud-platform"}, "impersonation_chain": ""},
	} {
		_, err := openKwargs(t, fakeKwargs(f, kw))
		assert.NoError(t, err, "%v", kw)
	}
}
