package vault_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// lookup runs one lookup of kind ("conn", "var", "cfg") through b.
func lookup(ctx context.Context, b *vault.Backend, kind, id string) (string, error) {
	switch kind {
	case "conn":
		c, err := b.Connection(ctx, connReq(id))
		if err != nil {
			return "", err
		}
		return c.URI(), nil
	case "var":
		return b.Lookup(ctx, varReq(id))
	case "cfg":
		return b.Lookup(ctx, cfgReq(id))
	}
	panic(kind)
}

// TestPaths: which path each kwarg combination reads, and which lookups
// make no request at all (a kind switched off and an empty id: TestKit).
func TestPaths(t *testing.T) {
	tests := []struct {
		name     string
		kw       map[string]any
		kind, id string
		wantPath string // "" = no request, not found
		found    bool   // the fake holds a secret there
	}{
		{name: "default connection", kind: "conn", id: "smtp", wantPath: "secret/data/connections/smtp", found: true},
		{name: "default variable", kind: "var", id: "hello", wantPath: "secret/data/variables/hello", found: true},
		{name: "default config", kind: "cfg", id: "sql", wantPath: "secret/data/config/sql", found: true},
		{name: "kv1", kw: map[string]any{"mount_point": "kv1", "kv_engine_version": 1}, kind: "conn", id: "smtp", wantPath: "kv1/connections/smtp", found: true},
		{name: "kv version as a string", kw: map[string]any{"mount_point": "kv1", "kv_engine_version": "1"}, kind: "var", id: "hello", wantPath: "kv1/variables/hello", found: true},
		{name: "kv version null is 2", kw: map[string]any{"kv_engine_version": nil}, kind: "var", id: "hello", wantPath: "secret/data/variables/hello", found: true},
		{name: "empty path: the id is the path", kw: map[string]any{"connections_path": ""}, kind: "conn", id: "smtp", wantPath: "secret/data/smtp", found: true},
		{name: "path of slashes is empty", kw: map[string]any{"variables_path": "//"}, kind: "var", id: "hello", wantPath: "secret/data/hello", found: true},
		{name: "trailing slashes dropped", kw: map[string]any{"connections_path": "team/conns//"}, kind: "conn", id: "smtp", wantPath: "secret/data/team/conns/smtp", found: true},
		{name: "nested id", kind: "conn", id: "team/smtp", wantPath: "secret/data/connections/team/smtp", found: true},
		{name: "mount with slashes", kw: map[string]any{"mount_point": "/secret/"}, kind: "conn", id: "smtp", wantPath: "secret/data/connections/smtp", found: true},
		{name: "mount from the id", kw: map[string]any{"mount_point": nil}, kind: "conn", id: "airflow/smtp", wantPath: "airflow/data/connections/smtp", found: true},
		{name: "mount from the id, empty mount_point", kw: map[string]any{"mount_point": ""}, kind: "var", id: "airflow/hello", wantPath: "airflow/data/variables/hello", found: true},
		{name: "mount from the id, kv1, no path", kw: map[string]any{"mount_point": nil, "kv_engine_version": 1, "config_path": ""}, kind: "cfg", id: "kv1/sql", wantPath: "kv1/sql", found: true},
		{name: "mount from the id, deeper key", kw: map[string]any{"mount_point": nil}, kind: "var", id: "airflow/team/hello", wantPath: "airflow/data/variables/team/hello"},
		{name: "mount from the id, no slash", kw: map[string]any{"mount_point": nil}, kind: "conn", id: "smtp"},
		{name: "mount from the id, empty key", kw: map[string]any{"mount_point": nil}, kind: "conn", id: "airflow/"},
		{name: "mount from the id, empty mount", kw: map[string]any{"mount_point": nil}, kind: "conn", id: "/smtp"},
		{name: "other kinds stay on", kw: map[string]any{"config_path": nil, "variables_path": nil}, kind: "conn", id: "smtp", wantPath: "secret/data/connections/smtp", found: true},
		{name: "dot-dot segment", kind: "conn", id: "../variables/hello"},
		{name: "dot segment", kind: "var", id: "a/./hello"},
		{name: "dots inside a segment are fine", kind: "conn", id: "with..dots", wantPath: "secret/data/connections/with..dots"},
		{name: "characters that need escaping", kind: "var", id: "a b?c#d%e", wantPath: "secret/data/variables/a b?c#d%e", found: true},
		{name: "missing secret", kind: "var", id: "absent", wantPath: "secret/data/variables/absent"},
		{name: "unmounted mount", kw: map[string]any{"mount_point": "nosuch"}, kind: "var", id: "hello", wantPath: "nosuch/data/variables/hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.Mount("airflow", 2)
			for _, m := range []struct {
				mount, prefix string
			}{{"secret", ""}, {"kv1", ""}, {"airflow", ""}} {
				f.Put(m.mount, "connections/smtp", map[string]any{"conn_uri": "smtp://relay"})
				f.Put(m.mount, "connections/team/smtp", map[string]any{"conn_uri": "smtp://team-relay"})
				f.Put(m.mount, "team/conns/smtp", map[string]any{"conn_uri": "smtp://team-conns"})
				f.Put(m.mount, "smtp", map[string]any{"conn_uri": "smtp://bare"})
				f.Put(m.mount, "variables/hello", map[string]any{"value": "world"})
				f.Put(m.mount, "variables/a b?c#d%e", map[string]any{"value": "escaped"})
				f.Put(m.mount, "hello", map[string]any{"value": "bare"})
				f.Put(m.mount, "config/sql", map[string]any{"value": "sqlite://"})
				f.Put(m.mount, "sql", map[string]any{"value": "bare-config"})
			}
			b := mustOpen(t, f.kwargs(tt.kw))
			_, err := lookup(t.Context(), b, tt.kind, tt.id)
			if tt.found {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, resolver.ErrNotFound)
			}
			if tt.wantPath == "" {
				assert.Empty(t, f.Requests(), "no request at all (not even authentication)")
				return
			}
			assert.Equal(t, []string{tt.wantPath}, f.reads())
		})
	}
}

// TestKwargsErrors: every construction-time refusal is a configuration
// error that says what is wrong, and no request is made (the kit's kwargs:
// TestKit).
func TestKwargsErrors(t *testing.T) {
	f := newFake(t)
	tests := []struct {
		name string
		kw   map[string]any // added to url (and no token unless given)
		want string
	}{
		{name: "kv version 3", kw: map[string]any{"token": "t", "kv_engine_version": 3}, want: "the version is not supported: 3"},
		{name: "kv version not a number", kw: map[string]any{"token": "t", "kv_engine_version": "two"}, want: `"kv_engine_version" must be an integer`},
		{name: "unknown auth type", kw: map[string]any{"auth_type": "kerberos"}, want: `the auth_type is not supported: "kerberos"`},
		{name: "gcp without gcp_scopes", kw: map[string]any{"auth_type": "gcp", "role_id": "r"}, want: "the 'gcp' authentication type requires 'gcp_scopes'"},
		{name: "gcp without role_id", kw: map[string]any{"auth_type": "gcp", "gcp_scopes": "s"}, want: "the 'gcp' authentication type requires 'role_id'"},
		{name: "gcp key path and keyfile dict", kw: map[string]any{"auth_type": "gcp", "role_id": "r", "gcp_scopes": "s", "gcp_key_path": "/k.json", "gcp_keyfile_dict": map[string]any{"type": "service_account"}},
			want: "gcp_key_path and gcp_keyfile_dict are mutually exclusive"},
		{name: "gcp keyfile dict not an object", kw: map[string]any{"auth_type": "gcp", "role_id": "r", "gcp_scopes": "s", "gcp_keyfile_dict": "not json"},
			want: "gcp_keyfile_dict is a string that does not hold a JSON object"},
		{name: "gcp scopes of the wrong type", kw: map[string]any{"auth_type": "gcp", "role_id": "r", "gcp_scopes": 5}, want: "gcp_scopes must be a comma-separated string or a list of strings"},
		{name: "gcp role type unknown", kw: map[string]any{"auth_type": "gcp", "role_id": "r", "gcp_scopes": "s", "gcp_role_type": "gke"}, want: `gcp_role_type must be "iam" or "gce", not "gke"`},
		{name: "gcp gce with a key", kw: map[string]any{"auth_type": "gcp", "role_id": "r", "gcp_role_type": "gce", "gcp_key_path": "/k.json"}, want: "gcp_key_path and gcp_keyfile_dict do not apply"},
		// This package's tests link neither builtin/vault/vaultgcp nor vaultazure.
		{name: "gcp not linked", kw: map[string]any{"auth_type": "gcp", "role_id": "r", "gcp_scopes": "s"},
			want: "vault auth_type gcp needs package github.com/secretpath/secretpath/builtin/vault/vaultgcp linked: import it (the root package github.com/secretpath/secretpath and the secretpath command link it unless built with tag secretpath_no_gcp or secretpath_no_vault)"},
		{name: "azure without azure_resource", kw: map[string]any{"auth_type": "azure"}, want: "the 'azure' authentication type requires 'azure_resource'"},
		{name: "azure without azure_tenant_id", kw: map[string]any{"auth_type": "azure", "azure_resource": "r"}, want: "the 'azure' authentication type requires 'azure_tenant_id'"},
		{name: "azure not linked", kw: map[string]any{"auth_type": "azure", "azure_resource": "r", "azure_tenant_id": "t", "role_id": "r"},
			want: "vault auth_type azure needs package github.com/secretpath/secretpath/builtin/vault/vaultazure linked: import it (the root package github.com/secretpath/secretpath and the secretpath command link it unless built with tag secretpath_no_azure or secretpath_no_vault)"},
		{name: "radius without username", kw: map[string]any{"auth_type": "radius", "radius_host": "h", "radius_secret": "s"}, want: "the 'radius' authentication type requires 'username'"},
		{name: "radius without password", kw: map[string]any{"auth_type": "radius", "username": "u"}, want: "the 'radius' authentication type requires 'password'"},
		{name: "radius port not a number", kw: map[string]any{"auth_type": "radius", "username": "u", "password": "p", "radius_port": "x"}, want: `"radius_port" must be an integer`},
		// This package's tests do not link builtin/vault/vaultaws.
		{name: "aws_iam not linked", kw: map[string]any{"auth_type": "aws_iam", "key_id": "AKIAIOSFODNN7EXAMPLE", "secret_id": "s"},
			want: "vault auth_type aws_iam needs package github.com/secretpath/secretpath/builtin/vault/vaultaws linked: import it"},
		{name: "token without token", kw: map[string]any{}, want: "the 'token' authentication type requires 'token' or 'token_path'"},
		{name: "token null", kw: map[string]any{"token": nil}, want: "the 'token' authentication type requires"},
		{name: "github without token", kw: map[string]any{"auth_type": "github"}, want: "the 'github' authentication type requires 'token' or 'token_path'"},
		{name: "approle without role_id", kw: map[string]any{"auth_type": "approle", "secret_id": "s"}, want: "the 'approle' authentication type requires 'role_id'"},
		{name: "userpass without username", kw: map[string]any{"auth_type": "userpass", "password": "p"}, want: "the 'userpass' authentication type requires 'username'"},
		{name: "userpass without password", kw: map[string]any{"auth_type": "userpass", "username": "u"}, want: "the 'userpass' authentication type requires 'password'"},
		{name: "ldap without password", kw: map[string]any{"auth_type": "ldap", "username": "u"}, want: "the 'ldap' authentication type requires 'password'"},
		{name: "kubernetes without role", kw: map[string]any{"auth_type": "kubernetes"}, want: "the 'kubernetes' authentication type requires 'kubernetes_role'"},
		{name: "kubernetes jwt path null", kw: map[string]any{"auth_type": "kubernetes", "kubernetes_role": "r", "kubernetes_jwt_path": nil}, want: "requires 'kubernetes_jwt_path'"},
		{name: "jwt without role", kw: map[string]any{"auth_type": "jwt", "jwt_token": "x"}, want: "the 'jwt' authentication type requires 'jwt_role'"},
		{name: "jwt without token", kw: map[string]any{"auth_type": "jwt", "jwt_role": "r"}, want: "requires 'jwt_token' or 'jwt_token_path'"},
		{name: "auth mount of slashes", kw: map[string]any{"auth_type": "approle", "role_id": "r", "auth_mount_point": "/"}, want: "auth_mount_point must name a path"},
		{name: "unknown key", kw: map[string]any{"token": "t", "connection_path": "x"}, want: "unknown backend_kwargs key(s): connection_path"},
		{name: "path with a dot-dot segment", kw: map[string]any{"token": "t", "variables_path": "a/../b"}, want: `vault: backend_kwargs key variables_path has a "." or ".." path segment`},
		{name: "path of a dot segment", kw: map[string]any{"token": "t", "config_path": "./"}, want: `backend_kwargs key config_path has a "." or ".." path segment`},
		{name: "mount with a dot-dot segment", kw: map[string]any{"token": "t", "mount_point": "../sys"}, want: `backend_kwargs key mount_point has a "." or ".." path segment`},
		{name: "token not a string", kw: map[string]any{"token": 5}, want: `"token" must be a string`},
		{name: "verify file missing", kw: map[string]any{"token": "t", "verify": "/no/such/ca.pem"}, want: "TLS (verify, cert)"},
		{name: "cert of the wrong shape", kw: map[string]any{"token": "t", "cert": []any{"a"}}, want: `"cert" must be a file path or [cert_file, key_file]`},
		{name: "cert files missing", kw: map[string]any{"token": "t", "cert": []any{"/no/cert.pem", "/no/key.pem"}}, want: "TLS (verify, cert)"},
		{name: "proxies not a map", kw: map[string]any{"token": "t", "proxies": "http://p"}, want: `"proxies" has the wrong type`},
		{name: "proxy not a URL", kw: map[string]any{"token": "t", "proxies": map[string]any{"https": ":/bad"}}, want: `the "https" proxy is not a URL`},
		{name: "allow_redirects not a bool", kw: map[string]any{"token": "t", "allow_redirects": "maybe"}, want: `"allow_redirects" must be a boolean`},
		{name: "session", kw: map[string]any{"token": "t", "session": "x"}, want: `"session" (a Python object) is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.ResetRequests()
			kw := map[string]any{"url": f.URL}
			for k, v := range tt.kw {
				kw[k] = v
			}
			_, err := openKwargs(t, kw)
			require.Error(t, err)
			assert.ErrorIs(t, err, config.ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, f.Requests())
		})
	}
}

// TestKwargsAccepted: kwargs that build a backend, including Airflow's
// kwargs of other auth types (ignored, as Airflow does) and the
// environment's VAULT_ADDR and VAULT_TOKEN.
func TestKwargsAccepted(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "variables/hello", map[string]any{"value": "world"})
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("  "+f.root+"\n"), 0o600))
	tests := []struct {
		name string
		kw   map[string]any
		env  map[string]string
	}{
		{name: "url and token", kw: map[string]any{"url": f.URL, "token": f.root}},
		{name: "class path defaults", kw: map[string]any{"url": f.URL, "token": f.root, "auth_type": "token", "mount_point": "secret", "kv_engine_version": 2}},
		{name: "token_path", kw: map[string]any{"url": f.URL, "token_path": tokenFile}},
		{name: "VAULT_TOKEN", kw: map[string]any{"url": f.URL}, env: map[string]string{"VAULT_TOKEN": f.root}},
		{name: "VAULT_ADDR", kw: map[string]any{"token": f.root}, env: map[string]string{"VAULT_ADDR": f.URL}},
		{name: "url wins over VAULT_ADDR", kw: map[string]any{"url": f.URL, "token": f.root}, env: map[string]string{"VAULT_ADDR": "http://127.0.0.1:1"}},
		{name: "Airflow kwargs of other auth types", kw: map[string]any{
			"url": f.URL, "token": f.root, "key_id": "k", "assume_role_kwargs": map[string]any{"RoleArn": "x"}, "region": "eu-west-1",
			"gcp_key_path": "/k.json", "gcp_keyfile_dict": map[string]any{}, "gcp_scopes": "s", "azure_tenant_id": "t",
			"azure_resource": "r", "radius_host": "h", "radius_secret": "s", "radius_port": 1812,
		}},
		{name: "other auth types' kwargs, whatever their values", kw: map[string]any{
			"url": f.URL, "token": f.root, "gcp_scopes": 5, "gcp_keyfile_dict": "not json", "gcp_role_type": "gke",
			"radius_port": "x", "azure_resource": []any{1},
		}},
		{name: "client kwargs", kw: map[string]any{"url": f.URL, "token": f.root, "verify": true, "timeout": 5, "allow_redirects": false, "proxies": map[string]any{}, "cert": nil}},
		{name: "values as strings (per-key overrides)", kw: map[string]any{"url": f.URL, "token": f.root, "verify": "true", "timeout": "2.5", "kv_engine_version": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			b := mustOpen(t, tt.kw)
			v, err := b.Lookup(t.Context(), varReq("hello"))
			require.NoError(t, err)
			assert.Equal(t, "world", v)
		})
	}
}

// TestNoAddress: without url or VAULT_ADDR the backend does not guess.
func TestNoAddress(t *testing.T) {
	newFake(t)
	_, err := openKwargs(t, map[string]any{"token": "t"})
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "no Vault address")
	_, err = vault.New(vault.Options{Auth: vault.Auth{Token: "t"}})
	assert.ErrorIs(t, err, config.ErrInvalid)
}

// TestNoLookupPattern: Airflow's Vault backend has no lookup patterns; a
// Location with one is a configuration error.
func TestNoLookupPattern(t *testing.T) {
	f := newFake(t)
	_, err := vault.New(vault.Options{Address: f.URL, Auth: vault.Auth{Token: f.root}, Variables: location.Location{LookupPattern: "x"}})
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "variables_lookup_pattern")
}
