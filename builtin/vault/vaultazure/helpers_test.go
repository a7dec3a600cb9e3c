package vaultazure_test

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/builtin/vault/vaultazure"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
)

func TestMain(m *testing.M) {
	testutil.GuardMetadata()
	os.Exit(m.Run())
}

// loginTTL is the lifetime of the tokens the fake's logins issue.
const loginTTL = time.Hour

// resource is the resource the fake Vault's azure method is configured
// with (the audience it wants).
const resource = "https://management.azure.com/"

// env is a fake Vault with KV v2 at secret/ holding variables/hello and
// the azure method at azure/ (role "airflow"), verifying tokens of the
// fake Entra authority for azurefake.Tenant and resource; the Azure
// credentials can reach only that authority.
type env struct {
	vault *vaultfake.Server
	az    *azurefake.Server
}

func newEnv(t *testing.T) env {
	t.Helper()
	vaultfake.Isolate(t)
	az := azurefake.New(t)
	azurefake.Isolate(t, az)
	vaultazure.UseAuthority(t, az.URL, az.Client())
	f := vaultfake.New(t)
	f.Mount("secret", 2)
	f.Put("secret", "variables/hello", map[string]any{"value": "world"})
	f.EnableAuth("", vaultfake.Azure, vaultfake.TokenOptions{TTL: loginTTL})
	f.AddCredential("azure", "airflow", "")
	f.SetAzureVerifier("azure", vaultfake.AzureVerifier{Tenant: azurefake.Tenant, Resource: resource, Check: az.TokenInfo})
	return env{vault: f, az: az}
}

// kwargs are a client-secret configuration of e with extra on top (a nil
// value removes a key).
func (e env) kwargs(extra map[string]any) map[string]any {
	kw := map[string]any{
		"url": e.vault.URL, "auth_type": "azure", "role_id": "airflow",
		"azure_tenant_id": azurefake.Tenant, "azure_resource": resource,
		"key_id": azurefake.ClientID, "secret_id": azurefake.ClientSecret,
	}
	for k, v := range extra {
		if v == nil {
			delete(kw, k)
		} else {
			kw[k] = v
		}
	}
	return kw
}

// open builds a vault backend through the registry, as a config file
// does, logging to log (when not nil); it is closed when t ends.
func open(t testing.TB, kw map[string]any, log *testutil.SyncBuffer) (*vault.Backend, error) {
	t.Helper()
	b, err := testutil.OpenKwargsLogged(t, vault.Name, kw, log)
	if err != nil {
		return nil, err
	}
	vb, ok := b.(*vault.Backend)
	require.True(t, ok, "%T", b)
	t.Cleanup(func() { _ = vb.Close() })
	return vb, nil
}

func varReq(key string) resolver.Request {
	return resolver.Request{Kind: resolver.KindVariable, ID: key}
}
