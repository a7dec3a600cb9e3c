package secretpath_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/secretpath/secretpath" // the "everything" package under test
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestVaultCloudAuthLinked: the root package links the vault backend's
// azure and gcp logins (builtin/vault/vaultazure, builtin/vault/vaultgcp),
// so a config asking for them builds a backend instead of an error naming
// the package to import. Building makes no request.
func TestVaultCloudAuthLinked(t *testing.T) {
	vaultfake.Isolate(t)
	f := vaultfake.New(t)
	for name, kw := range map[string]map[string]any{
		"azure":   {"auth_type": "azure", "azure_tenant_id": "00000000-0000-4000-8000-0000000000aa", "azure_resource": "https://management.azure.com/", "role_id": "airflow"},
		"gcp iam": {"auth_type": "gcp", "gcp_scopes": "https://www.googleapis.com/auth/cloud-platform", "role_id": "airflow"},
		"gcp gce": {"auth_type": "gcp", "gcp_role_type": "gce", "role_id": "airflow"},
	} {
		t.Run(name, func(t *testing.T) {
			kw["url"] = f.URL
			raw, err := json.Marshal(kw)
			require.NoError(t, err)
			kwargs, err := config.ParseKwargs(raw)
			require.NoError(t, err)
			b, err := resolver.OpenBackend(t.Context(), "vault", resolver.Env{Kwargs: kwargs})
			require.NoError(t, err)
			assert.NoError(t, b.(interface{ Close() error }).Close())
		})
	}
	assert.Empty(t, f.Requests())
}
