package azurekeyvault_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestKwargsErrors: every refused kwarg is a configuration error that
// names it and never echoes the client secret. No request is made. (The
// kit's kwargs: TestKit.)
func TestKwargsErrors(t *testing.T) {
	f := newFake(t)
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o600))
	tests := []struct {
		name string
		kw   map[string]any
		want []string
	}{
		{name: "unknown keys", kw: map[string]any{"bogus": 1, "retry_totl": 3}, want: []string{`unknown backend_kwargs key(s): bogus, retry_totl (did you mean "retry_total"?)`}},
		{name: "misspelt keys", kw: map[string]any{"conection_timeout": 3, "vault_ulr": "x", "retry_on_status_code": []int{520}, "permit_redirect": false},
			want: []string{`conection_timeout (did you mean "connection_timeout"?)`, `vault_ulr (did you mean "vault_url"?)`,
				`retry_on_status_code (did you mean "retry_on_status_codes"?)`, `permit_redirect (did you mean "permit_redirects"?)`}},
		{name: "retry_total not an integer", kw: map[string]any{"retry_total": "many"}, want: []string{"retry_total", "integer"}},
		{name: "retry_total negative", kw: map[string]any{"retry_total": -1}, want: []string{"retry_total", "0 to 100"}},
		{name: "retry_backoff_factor not a number", kw: map[string]any{"retry_backoff_factor": []int{1}}, want: []string{"retry_backoff_factor", "number"}},
		{name: "retry_backoff_factor negative", kw: map[string]any{"retry_backoff_factor": -0.5}, want: []string{"retry_backoff_factor", "0 or more"}},
		{name: "retry_backoff_max negative", kw: map[string]any{"retry_backoff_max": -1}, want: []string{"retry_backoff_max"}},
		{name: "retry_mode unknown", kw: map[string]any{"retry_mode": "linear"}, want: []string{"retry_mode", "exponential", "fixed"}},
		{name: "retry_mode not a string", kw: map[string]any{"retry_mode": 1}, want: []string{"retry_mode", "string"}},
		{name: "connection_timeout zero", kw: map[string]any{"connection_timeout": 0}, want: []string{"connection_timeout", "above 0"}},
		{name: "connection_timeout not a number", kw: map[string]any{"connection_timeout": "soon"}, want: []string{"connection_timeout", "number"}},
		{name: "read_timeout negative", kw: map[string]any{"read_timeout": -3}, want: []string{"read_timeout", "above 0"}},
		{name: "read_timeout a pair", kw: map[string]any{"read_timeout": []int{1, 2}}, want: []string{"read_timeout", "number"}},
		{name: "proxies not an object", kw: map[string]any{"proxies": "http://u:pw@proxy:3128"}, want: []string{"proxies", "object"}},
		{name: "proxies unknown scheme key", kw: map[string]any{"proxies": map[string]any{"ftp": "http://proxy:3128"}}, want: []string{"proxies", `"ftp"`, "http, https and all"}},
		{name: "proxies bad URL", kw: map[string]any{"proxies": map[string]any{"https": "ftp://u:pw@proxy:21"}}, want: []string{"proxies", `"https"`, "socks5"}},
		{name: "proxies without host", kw: map[string]any{"proxies": map[string]any{"https": "http://"}}, want: []string{"proxies", `"https"`, "host"}},
		{name: "proxies value not a string", kw: map[string]any{"proxies": map[string]any{"https": 3128}}, want: []string{"proxies", "object"}},
		{name: "headers not an object", kw: map[string]any{"headers": []string{"X-A: pw@"}}, want: []string{"headers", "object"}},
		{name: "headers bad name", kw: map[string]any{"headers": map[string]any{"X A": "v"}}, want: []string{"headers", `"X A"`}},
		{name: "headers bad value", kw: map[string]any{"headers": map[string]any{"X-A": "pw@\r\nX-B: 1"}}, want: []string{"headers", `"X-A"`, "control"}},
		{name: "headers Authorization", kw: map[string]any{"headers": map[string]any{"authorization": "Bearer pw@"}}, want: []string{"headers", "Authorization"}},
		{name: "user_agent not a string", kw: map[string]any{"user_agent": 1}, want: []string{"user_agent", "string"}},
		{name: "user_agent control characters", kw: map[string]any{"user_agent": "a\nb"}, want: []string{"user_agent", "control"}},
		{name: "logging_enable not a boolean", kw: map[string]any{"logging_enable": "loud"}, want: []string{"logging_enable", "boolean"}},
		{name: "no vault_url", kw: map[string]any{"vault_url": absent}, want: []string{"vault_url", "required"}},
		{name: "vault_url null", kw: map[string]any{"vault_url": nil}, want: []string{"vault_url", "required"}},
		{name: "vault_url over http", kw: map[string]any{"vault_url": "http://127.0.0.1:1/"}, want: []string{"vault_url", "https://"}},
		{name: "vault_url without scheme", kw: map[string]any{"vault_url": "myvault.vault.azure.net"}, want: []string{"vault_url"}},
		{name: "vault_url with user info", kw: map[string]any{"vault_url": "https://u:pw@kv.vault.azure.net/"}, want: []string{"vault_url"}},
		{name: "vault_url with a query", kw: map[string]any{"vault_url": "https://kv.vault.azure.net/?x=1"}, want: []string{"vault_url"}},
		{name: "vault_url not a string", kw: map[string]any{"vault_url": 3}, want: []string{"vault_url"}},
		{name: "client secret without tenant", kw: map[string]any{"tenant_id": absent}, want: []string{"tenant_id", "client_id", "client_secret", "go together"}},
		{name: "tenant and client without secret", kw: map[string]any{"client_secret": ""}, want: []string{"client_secret", "go together"}},
		{name: "managed identity client id alone", kw: with(noClientSecret, map[string]any{"managed_identity_client_id": azurefake.ManagedIdentityClientID}),
			want: []string{"managed_identity_client_id", "workload_identity_tenant_id", "go together"}},
		{name: "workload tenant alone", kw: with(noClientSecret, map[string]any{"workload_identity_tenant_id": azurefake.Tenant}),
			want: []string{"workload_identity_tenant_id"}},
		{name: "two credentials", kw: map[string]any{"managed_identity_client_id": azurefake.ManagedIdentityClientID, "workload_identity_tenant_id": azurefake.Tenant},
			want: []string{"client_secret", "managed_identity_client_id"}},
		{name: "verify_challenge_resource not a boolean", kw: map[string]any{"verify_challenge_resource": "maybe"}, want: []string{"verify_challenge_resource"}},
		{name: "disable_instance_discovery not a boolean", kw: map[string]any{"disable_instance_discovery": 2}, want: []string{"disable_instance_discovery"}},
		{name: "CA bundle without a certificate", kw: map[string]any{"connection_verify": notPEM}, want: []string{"connection_verify", "no PEM certificate"}},
		{name: "api_version not a string", kw: map[string]any{"api_version": 7.4}, want: []string{"api_version"}},
		{name: "sep not a string", kw: map[string]any{"sep": 1}, want: []string{"sep"}},
		{name: "retry_connect negative", kw: map[string]any{"retry_connect": -1}, want: []string{"retry_connect", "0 to 100"}},
		{name: "retry_read not an integer", kw: map[string]any{"retry_read": 1.5}, want: []string{"retry_read", "integer"}},
		{name: "retry_status too large", kw: map[string]any{"retry_status": 1000}, want: []string{"retry_status", "0 to 100"}},
		{name: "retry_on_status_codes not a list", kw: map[string]any{"retry_on_status_codes": 520}, want: []string{"retry_on_status_codes", "list of HTTP status codes"}},
		{name: "retry_on_status_codes out of range", kw: map[string]any{"retry_on_status_codes": []int{42}}, want: []string{"retry_on_status_codes", "42", "100 to 999"}},
		{name: "timeout zero", kw: map[string]any{"timeout": 0}, want: []string{`"timeout"`, "above 0"}},
		{name: "timeout not a number", kw: map[string]any{"timeout": "week"}, want: []string{`"timeout"`, "number"}},
		{name: "permit_redirects not a boolean", kw: map[string]any{"permit_redirects": "sometimes"}, want: []string{"permit_redirects", "boolean"}},
		{name: "redirect_max negative", kw: map[string]any{"redirect_max": -1}, want: []string{"redirect_max", "0 to 1000"}},
		{name: "redirect_remove_headers bad name", kw: map[string]any{"redirect_remove_headers": []string{"X A"}}, want: []string{"redirect_remove_headers", `"X A"`}},
		{name: "redirect_remove_headers not a list", kw: map[string]any{"redirect_remove_headers": "X-A"}, want: []string{"redirect_remove_headers", "list of header names"}},
		{name: "redirect_on_status_codes not numbers", kw: map[string]any{"redirect_on_status_codes": []string{"moved"}}, want: []string{"redirect_on_status_codes", "list"}},
		{name: "block_headers_list not a list", kw: map[string]any{"block_headers_list": true}, want: []string{"block_headers_list", "must be a list of header names"}},
		{name: "use_env_settings not a boolean", kw: map[string]any{"use_env_settings": "env"}, want: []string{"use_env_settings", "boolean"}},
		{name: "connection_cert missing file", kw: map[string]any{"connection_cert": filepath.Join(t.TempDir(), "none.pem")}, want: []string{"connection_cert", "could not be loaded"}},
		{name: "connection_cert not a certificate", kw: map[string]any{"connection_cert": notPEM}, want: []string{"connection_cert", "could not be loaded"}},
		{name: "connection_cert a triple", kw: map[string]any{"connection_cert": []string{notPEM, notPEM, "pw@"}}, want: []string{"connection_cert", "pair"}},
		{name: "connection_cert a number", kw: map[string]any{"connection_cert": 1}, want: []string{"connection_cert", "pair"}},
		{name: "user_agent_overwrite not a boolean", kw: map[string]any{"user_agent_overwrite": "yes please"}, want: []string{"user_agent_overwrite", "boolean"}},
		{name: "user_agent_use_env not a boolean", kw: map[string]any{"user_agent_use_env": 2}, want: []string{"user_agent_use_env", "boolean"}},
		{name: "request_id not a string", kw: map[string]any{"request_id": 7}, want: []string{"request_id", "string"}},
		{name: "request_id control characters", kw: map[string]any{"request_id": "a\r\nX-B: pw@"}, want: []string{"request_id", "control"}},
		{name: "auto_request_id not a boolean", kw: map[string]any{"auto_request_id": "uuid"}, want: []string{"auto_request_id", "boolean"}},
		{name: "Python object: transport", kw: map[string]any{"transport": "RequestsTransport"}, want: []string{`"transport"`, "Python object", "no JSON value"}},
		{name: "Python object: a policy", kw: map[string]any{"retry_policy": map[string]any{"retry_total": 1}}, want: []string{`"retry_policy"`, "Python object"}},
		{name: "Python object: per_call_policies", kw: map[string]any{"per_call_policies": []string{}}, want: []string{`"per_call_policies"`, "Python object"}},
		{name: "Python object: a hook", kw: map[string]any{"raw_response_hook": nil}, want: []string{`"raw_response_hook"`, "Python object"}},
		{name: "Python object: logger", kw: map[string]any{"logger": "azure"}, want: []string{`"logger"`, "Python object"}},
		{name: "Python object: session", kw: map[string]any{"session": "pw@"}, want: []string{`"session"`, "Python object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openKwargs(t, fakeKwargs(t, f, tt.kw))
			require.ErrorIs(t, err, config.ErrInvalid)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), azurefake.ClientSecret)
			assert.NotContains(t, err.Error(), "pw@")
			if strings.HasPrefix(tt.name, "Python object") {
				assert.NotContains(t, err.Error(), "unknown")
			}
		})
	}
	assert.Zero(t, f.Count(""), "building a backend makes no request")
}

// TestKwargsAsStrings: per-key environment overrides
// (AIRFLOW__SECRETS__BACKEND_KWARG__<KEY>) are raw strings; booleans and
// numbers given so work, and sep null means the default.
func TestKwargsAsStrings(t *testing.T) {
	f := newFake(t)
	f.SetSecret("airflow-variables-k", "v")
	b := mustOpen(t, fakeKwargs(t, f, map[string]any{
		"verify_challenge_resource":  "false",
		"disable_instance_discovery": "yes",
		"timeout_seconds":            "30",
		"sep":                        nil,
	}))
	v, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
	require.NoError(t, err)
	assert.Equal(t, "v", v)
}
