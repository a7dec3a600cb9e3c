package vaultazure_test

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/builtin/vault/vaultazure"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestAzureAuth: azure logs in at auth/<mount>/login with the role and an
// access token for azure_resource from the Entra tenant, got with the
// client secret (key_id, secret_id) or DefaultAzureCredential (here the
// managed identity); the fake Vault checks that token's tenant and
// audience, and reads then use the token the login returned.
func TestAzureAuth(t *testing.T) {
	tests := []struct {
		name  string
		extra map[string]any
		mount string // the fake's mount ("" = azure)
		// wantKind is the Entra request that gave the token, wantScope
		// the resource scope it asked for (the managed identity endpoint
		// takes the resource itself).
		wantKind, wantScope string
	}{
		{name: "client secret", wantKind: azurefake.KindToken, wantScope: resource + "/.default"},
		{name: "DefaultAzureCredential (managed identity)", extra: map[string]any{"key_id": nil, "secret_id": nil},
			wantKind: azurefake.KindManagedIdentity, wantScope: resource},
		{name: "auth_mount_point", extra: map[string]any{"auth_mount_point": "cloud/azure-prod"}, mount: "cloud/azure-prod",
			wantKind: azurefake.KindToken, wantScope: resource + "/.default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			mount := "azure"
			if tt.mount != "" {
				mount = tt.mount
				e.vault.EnableAuth(mount, vaultfake.Azure, vaultfake.TokenOptions{TTL: loginTTL})
				e.vault.AddCredential(mount, "airflow", "")
				e.vault.SetAzureVerifier(mount, vaultfake.AzureVerifier{Tenant: azurefake.Tenant, Resource: resource, Check: e.az.TokenInfo})
			}
			b, err := open(t, e.kwargs(tt.extra), nil)
			require.NoError(t, err)
			assert.Empty(t, e.vault.Requests(), "authentication is lazy")
			for range 2 {
				v, err := b.Lookup(t.Context(), varReq("hello"))
				require.NoError(t, err)
				assert.Equal(t, "world", v)
			}
			reqs := e.vault.Requests()
			require.GreaterOrEqual(t, len(reqs), 3)
			login := reqs[0]
			assert.Equal(t, "auth/"+mount+"/login", login.Path)
			assert.Empty(t, login.Token, "a login carries no token")
			var body map[string]any
			require.NoError(t, json.Unmarshal(login.Body, &body))
			assert.Equal(t, []string{"jwt", "role"}, slices.Sorted(maps.Keys(body)), "hvac's azure.login body without the VM fields")
			assert.Equal(t, "airflow", body["role"])
			tenant, aud, ok := e.az.TokenInfo(body["jwt"].(string))
			require.True(t, ok, "the jwt is an access token the authority issued")
			assert.Equal(t, azurefake.Tenant, tenant)
			assert.Equal(t, resource, strings.TrimSuffix(aud, "/")+"/")
			tokens := e.vault.LoginTokens()
			require.Len(t, tokens, 1, "one login for both reads")
			assert.Equal(t, tokens[0], reqs[1].Token)

			var kinds []azurefake.Request
			for _, r := range e.az.Requests() {
				if r.Kind == azurefake.KindToken || r.Kind == azurefake.KindManagedIdentity {
					kinds = append(kinds, r)
				}
			}
			require.Len(t, kinds, 1)
			assert.Equal(t, tt.wantKind, kinds[0].Kind)
			assert.Contains(t, strings.Fields(kinds[0].Scope), tt.wantScope, "MSAL adds the OpenID scopes to a client secret's")
			if tt.wantKind == azurefake.KindToken {
				assert.Equal(t, azurefake.Tenant, kinds[0].Tenant, "the token comes from azure_tenant_id")
				assert.Equal(t, azurefake.ClientID, kinds[0].Name, "key_id is the client id")
			}
		})
	}
}

// TestAzureAuthFailures: a refused credential, or a token Vault refuses
// (another tenant, another audience, an unknown role), fails the lookup
// with the reason, never as not found, and never quotes the client secret.
func TestAzureAuthFailures(t *testing.T) {
	tests := []struct {
		name      string
		extra     map[string]any
		wantLogin bool // the login reached Vault
		want      string
	}{
		{name: "wrong client secret", extra: map[string]any{"secret_id": "wrong-client-secret-value"}, want: "AADSTS7000215"},
		{name: "unknown client id", extra: map[string]any{"key_id": "00000000-0000-4000-8000-0000000000ff"}, want: "AADSTS700016"},
		{name: "token of another tenant", extra: map[string]any{"azure_tenant_id": "00000000-0000-4000-8000-0000000000bb"}, wantLogin: true,
			want: "id token issued by a different provider"},
		{name: "token for another resource", extra: map[string]any{"azure_resource": "https://vault.example.com"}, wantLogin: true,
			want: `expected audience "https://management.azure.com/"`},
		{name: "unknown role", extra: map[string]any{"role_id": "nobody"}, wantLogin: true, want: `invalid role name "nobody"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			kw := e.kwargs(tt.extra)
			b, err := open(t, kw, nil)
			require.NoError(t, err)
			_, err = b.Lookup(t.Context(), varReq("hello"))
			require.Error(t, err)
			assert.NotErrorIs(t, err, resolver.ErrNotFound)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), kw["secret_id"].(string))
			assert.Equal(t, tt.wantLogin, e.vault.Count("auth/azure/login") > 0)
			assert.Zero(t, e.vault.Count("secret/*"), "no read without a token")
			assert.Empty(t, e.vault.LoginTokens())
		})
	}
}

// TestAzureKwargs: what azure needs is checked at construction, with
// Airflow's messages, before any request.
func TestAzureKwargs(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		name  string
		extra map[string]any
		want  string
	}{
		{name: "no azure_resource", extra: map[string]any{"azure_resource": nil}, want: "the 'azure' authentication type requires 'azure_resource'"},
		{name: "no azure_tenant_id", extra: map[string]any{"azure_tenant_id": nil}, want: "the 'azure' authentication type requires 'azure_tenant_id'"},
		{name: "no role_id", extra: map[string]any{"role_id": nil}, want: "the 'azure' authentication type requires 'role_id'"},
		{name: "key_id without secret_id", extra: map[string]any{"secret_id": nil}, want: "requires 'key_id' (the client id) and 'secret_id' (the client secret) together"},
		{name: "azure_resource not a string", extra: map[string]any{"azure_resource": 5}, want: `"azure_resource" must be a string`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := open(t, e.kwargs(tt.extra), nil)
			require.Error(t, err)
			assert.ErrorIs(t, err, config.ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), azurefake.ClientSecret)
		})
	}
	assert.Empty(t, e.vault.Requests())
	assert.Empty(t, e.az.Requests())
}

// TestAzureLogs: a login says which credential it used, the tenant and
// the resource, at debug level, without the client secret or a token.
func TestAzureLogs(t *testing.T) {
	e := newEnv(t)
	log := &testutil.SyncBuffer{}
	b, err := open(t, e.kwargs(nil), log)
	require.NoError(t, err)
	_, err = b.Lookup(t.Context(), varReq("hello"))
	require.NoError(t, err)
	var line string
	for l := range strings.SplitSeq(log.String(), "\n") {
		if strings.Contains(l, `msg="vault: azure login"`) {
			line = l
		}
	}
	require.NotEmpty(t, line, log.String())
	for _, w := range []string{"level=DEBUG", `credential="client secret (key_id and secret_id)"`, "tenant=" + azurefake.Tenant, "resource=" + resource} {
		assert.Contains(t, line, w)
	}
	assert.NotContains(t, log.String(), azurefake.ClientSecret)
	for _, tok := range e.vault.LoginTokens() {
		assert.NotContains(t, log.String(), tok)
	}
}

// TestRedact: a login error loses the client secret and still unwraps to
// the original.
func TestRedact(t *testing.T) {
	cause := errors.New("AADSTS7000215: invalid secret " + azurefake.ClientSecret)
	err := vaultazure.Redact(vault.Auth{Type: vault.AuthAzure, KeyID: azurefake.ClientID, SecretID: azurefake.ClientSecret}, cause)
	assert.ErrorIs(t, err, cause)
	assert.NotContains(t, err.Error(), azurefake.ClientSecret)
	assert.Contains(t, err.Error(), "AADSTS7000215: invalid secret ***")
}

// TestAzureTokenMasked: should Vault's answer to the login quote the
// request (a proxy or a verbose plugin; Vault's azure method does not),
// the access token sent as jwt is masked in the error, as the client
// secret is, and the error still unwraps to Vault's.
func TestAzureTokenMasked(t *testing.T) {
	e := newEnv(t)
	e.vault.Fail(vaultfake.Fault{Path: "auth/azure/login", Status: 400, Errors: []string{"login refused, request: "}, QuoteBody: true})
	b, err := open(t, e.kwargs(nil), nil)
	require.NoError(t, err)
	_, err = b.Lookup(t.Context(), varReq("hello"))
	require.Error(t, err)
	reqs := e.vault.Requests()
	require.NotEmpty(t, reqs)
	var body map[string]any
	require.NoError(t, json.Unmarshal(reqs[0].Body, &body))
	jwt, _ := body["jwt"].(string)
	require.NotEmpty(t, jwt, "the login sent an access token")
	assert.NotContains(t, err.Error(), jwt)
	assert.Contains(t, err.Error(), `login refused, request: {"jwt":"***","role":"airflow"}`)
	var re *api.ResponseError
	require.ErrorAs(t, err, &re, "unwraps to Vault's answer")
	assert.Equal(t, 400, re.StatusCode)
}
