package gcpsecretmanager

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/resolver/config"
)

func mustParse(t *testing.T, text string) settings {
	t.Helper()
	kw, err := config.ParseKwargs([]byte(text))
	require.NoError(t, err)
	s, err := parseKwargs(kw)
	require.NoError(t, err, text)
	return s
}

// TestParseKwargs: how each kwarg lands in Options and settings.
func TestParseKwargs(t *testing.T) {
	s := mustParse(t, `{}`)
	assert.Equal(t, Options{Sep: "-"}, s.opts, "the zero Locations: Airflow's default prefixes")
	b, err := New(t.Context(), Options{ProjectID: "p", WithoutAuthentication: true, Connections: s.opts.Connections, Variables: s.opts.Variables, Configs: s.opts.Configs})
	require.NoError(t, err)
	assert.Equal(t, [3]string{DefaultConnectionsPrefix, DefaultVariablesPrefix, DefaultConfigPrefix},
		[3]string{b.places.Connections.Prefix, b.places.Variables.Prefix, b.places.Configs.Prefix})
	_, err = New(t.Context(), Options{ProjectID: "p", WithoutAuthentication: true, Configs: location.Location{LookupPattern: "x"}})
	assert.ErrorIs(t, err, config.ErrInvalid, "Airflow's GCP backend has no lookup patterns")

	s = mustParse(t, `{"connections_prefix": null, "variables_prefix": "", "config_prefix": "cfg", "sep": ""}`)
	assert.Equal(t, location.Location{Off: true}, s.opts.Connections)
	assert.Equal(t, location.Location{NoPrefix: true}, s.opts.Variables)
	assert.Equal(t, location.Location{Prefix: "cfg"}, s.opts.Configs)
	assert.True(t, s.opts.NoSep)

	tests := []struct {
		name        string
		kw          string
		wantScopes  []string
		wantChain   []string
		wantProject string
		wantKeyfile map[string]any
		wantConfig  string // configPath
		wantCfgJSON map[string]any
	}{
		{name: "scopes comma-separated", kw: `{"gcp_scopes": "a, b,,c "}`, wantScopes: []string{"a", "b", "c"}},
		{name: "scopes as a list", kw: `{"gcp_scopes": ["a", " b "]}`, wantScopes: []string{"a", "b"}},
		{name: "blank scopes mean the default", kw: `{"gcp_scopes": " , "}`},
		{name: "one account", kw: `{"impersonation_chain": " sa@p.iam.gserviceaccount.com "}`, wantChain: []string{"sa@p.iam.gserviceaccount.com"}},
		{name: "a chain", kw: `{"impersonation_chain": ["a@p.iam.gserviceaccount.com", "b@q.iam.gserviceaccount.com"]}`, wantChain: []string{"a@p.iam.gserviceaccount.com", "b@q.iam.gserviceaccount.com"}},
		{name: "an empty chain", kw: `{"impersonation_chain": []}`, wantChain: []string{}},
		{name: "project", kw: `{"project_id": "my-proj"}`, wantProject: "my-proj"},
		{name: "keyfile_dict object, newlines unescaped, type added", kw: `{"gcp_keyfile_dict": {"client_email": "e", "private_key": "-----BEGIN-----\\nAB\\nCD\\n-----END-----\\n"}}`,
			wantKeyfile: map[string]any{"type": "service_account", "client_email": "e", "private_key": "-----BEGIN-----\nAB\nCD\n-----END-----\n"}},
		{name: "keyfile_dict string", kw: `{"gcp_keyfile_dict": "{\"type\": \"service_account\", \"private_key\": \"x\\\\ny\"}"}`,
			wantKeyfile: map[string]any{"type": "service_account", "private_key": "x\ny"}},
		{name: "blank keyfile_dict", kw: `{"gcp_keyfile_dict": " "}`},
		{name: "config file path", kw: `{"gcp_credential_config_file": " /etc/gcp/creds.json "}`, wantConfig: "/etc/gcp/creds.json"},
		{name: "config file text", kw: `{"gcp_credential_config_file": " {\"type\": \"external_account\"}"}`, wantCfgJSON: map[string]any{"type": "external_account"}},
		{name: "config file object", kw: `{"gcp_credential_config_file": {"type": "authorized_user"}}`, wantCfgJSON: map[string]any{"type": "authorized_user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.kw)
			assert.Equal(t, tt.wantScopes, s.opts.Scopes)
			if tt.wantChain != nil {
				assert.Equal(t, tt.wantChain, s.opts.ImpersonationChain)
			}
			assert.Equal(t, tt.wantProject, s.opts.ProjectID)
			assertJSON(t, tt.wantKeyfile, s.keyfile)
			assert.Equal(t, tt.wantConfig, s.configPath)
			assertJSON(t, tt.wantCfgJSON, s.configJSON)
		})
	}
}

func assertJSON(t *testing.T, want map[string]any, got []byte) {
	t.Helper()
	if want == nil {
		assert.Nil(t, got)
		return
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(got, &m))
	assert.Equal(t, want, m)
}

func TestProjectOfServiceAccount(t *testing.T) {
	for email, want := range map[string]string{
		"airflow@my-proj.iam.gserviceaccount.com":        "my-proj",
		"123-compute@developer.gserviceaccount.com":      "", // Airflow would say "developer"
		"app@appspot.gserviceaccount.com":                "",
		"no-at-sign":                                     "",
		"a@.iam.gserviceaccount.com":                     "",
		"a@sub.domain.iam.gserviceaccount.com":           "",
		"116799312736748901234":                          "", // a unique id
		"airflow@my-proj.iam.gserviceaccount.com.evil.x": "",
	} {
		assert.Equal(t, want, projectOfServiceAccount(email), email)
	}
}

func TestDescribeAPIError(t *testing.T) {
	e := parseAPIError(404, []byte(`{"error": {"code": 404, "message": "Secret [projects/1/secrets/x] not found\n or has no versions.", "status": "NOT_FOUND"}}`))
	assert.Equal(t, "NOT_FOUND (HTTP 404): Secret [projects/1/secrets/x] not found or has no versions.", e.Error())
	assert.True(t, e.notFound())
	e = parseAPIError(502, []byte("<html>Bad Gateway</html>"))
	assert.Equal(t, "HTTP 502, and the response is not a Google API error (is the endpoint right?)", e.Error())
	assert.False(t, e.notFound())
	e = parseAPIError(400, []byte(`{"error": {"code": 400, "status": "not a status!"}}`))
	assert.Equal(t, "UNKNOWN", e.Status)
}
