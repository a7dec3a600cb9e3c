package azurekeyvault_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/resolver"
)

// noClientSecret removes the client-secret kwargs.
var noClientSecret = map[string]any{"tenant_id": absent, "client_id": absent, "client_secret": absent}

func with(base map[string]any, extra map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// TestCredentials: each way the kwargs and the environment choose a
// credential, checked by who was asked for the token. Isolate points
// IDENTITY_ENDPOINT at the fake and sets
// AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential, so
// DefaultAzureCredential never probes 169.254.169.254 or runs a CLI.
func TestCredentials(t *testing.T) {
	tests := []struct {
		name string
		kw   map[string]any
		env  map[string]string
		// wantKind is the kind of the token request, wantClient its client
		// id ("" = the system-assigned identity).
		wantKind, wantClient string
	}{
		{name: "client secret kwargs", kw: nil, wantKind: azurefake.KindToken, wantClient: azurefake.ClientID},
		{name: "DefaultAzureCredential: managed identity", kw: noClientSecret, wantKind: azurefake.KindManagedIdentity},
		{name: "DefaultAzureCredential: environment", kw: noClientSecret,
			env: map[string]string{"AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential", "AZURE_TENANT_ID": azurefake.Tenant,
				"AZURE_CLIENT_ID": azurefake.ClientID, "AZURE_CLIENT_SECRET": azurefake.ClientSecret},
			wantKind: azurefake.KindToken, wantClient: azurefake.ClientID},
		{name: "user-assigned managed identity", kw: with(noClientSecret, map[string]any{
			"managed_identity_client_id": azurefake.ManagedIdentityClientID, "workload_identity_tenant_id": azurefake.Tenant}),
			wantKind: azurefake.KindManagedIdentity, wantClient: azurefake.ManagedIdentityClientID},
		{name: "user-assigned identity: the environment's service principal comes first", kw: with(noClientSecret, map[string]any{
			"managed_identity_client_id": azurefake.ManagedIdentityClientID, "workload_identity_tenant_id": azurefake.Tenant}),
			env:      map[string]string{"AZURE_TENANT_ID": azurefake.Tenant, "AZURE_CLIENT_ID": azurefake.ClientID, "AZURE_CLIENT_SECRET": azurefake.ClientSecret},
			wantKind: azurefake.KindToken, wantClient: azurefake.ClientID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			f.SetSecret("airflow-connections-smtp-default", "smtps://user:pw@relay.example.com:465")
			b := mustOpen(t, fakeKwargs(t, f, tt.kw))
			v, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"})
			require.NoError(t, err)
			assert.Equal(t, "smtps://user:pw@relay.example.com:465", v)

			var tokenReqs []azurefake.Request
			for _, r := range f.Requests() {
				if r.Kind == azurefake.KindToken || r.Kind == azurefake.KindManagedIdentity {
					tokenReqs = append(tokenReqs, r)
				}
			}
			require.Len(t, tokenReqs, 1)
			r := tokenReqs[0]
			assert.Equal(t, tt.wantKind, r.Kind)
			assert.Equal(t, tt.wantClient, r.Name)
			if r.Kind == azurefake.KindManagedIdentity {
				assert.Equal(t, azurefake.IdentityHeader, r.Header.Get("X-IDENTITY-HEADER"))
				assert.Equal(t, azurefake.Resource, r.Scope)
				assert.Equal(t, "2019-08-01", r.APIVersion)
			}
		})
	}
}

// TestCredentialFailures: a refused token request fails the lookup (not
// "not found") with the authority's error code, never the client secret.
func TestCredentialFailures(t *testing.T) {
	const wrongSecret = "wrong-secret-that-must-not-be-echoed-1234"
	tests := []struct {
		name string
		kw   map[string]any
		want []string
	}{
		{name: "wrong client secret", kw: map[string]any{"client_secret": wrongSecret},
			want: []string{"authentication failed", "HTTP 401", "(invalid_client)", "AADSTS7000215"}},
		{name: "unknown client", kw: map[string]any{"client_id": "00000000-0000-4000-8000-00000000ffff", "client_secret": wrongSecret},
			want: []string{"HTTP 400", "(unauthorized_client)", "AADSTS700016"}},
		{name: "unknown managed identity", kw: with(noClientSecret, map[string]any{
			"managed_identity_client_id": "00000000-0000-4000-8000-00000000ffff", "workload_identity_tenant_id": azurefake.Tenant}),
			want: []string{"Unable to load the proper Managed Identity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.SetSecret("airflow-variables-k", "v")
			b := mustOpen(t, fakeKwargs(t, f, tt.kw))
			_, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
			require.Error(t, err)
			assert.NotErrorIs(t, err, resolver.ErrNotFound)
			assert.NotErrorIs(t, err, resolver.ErrPermissionDenied)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Contains(t, err.Error(), `secret "airflow-variables-k"`)
			assert.NotContains(t, err.Error(), "\n")
			assert.NotContains(t, err.Error(), wrongSecret)
			assert.NotContains(t, err.Error(), azurefake.ClientSecret)
		})
	}
}
