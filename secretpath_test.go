package secretpath_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath"
	"github.com/secretpath/secretpath/resolver"
)

func ExampleOpenFile() {
	ctx := context.Background()
	r, err := secretpath.OpenFile(ctx, "testdata/quickstart/secretpath.cfg")
	if err != nil {
		panic(err)
	}
	defer r.Close()

	conn, err := r.Connection(ctx, "smtp_default")
	if err != nil {
		panic(err)
	}
	fmt.Println(conn.ConnType, conn.Host, conn.Port, conn.Login, conn.Password)
	fmt.Println(r.Tiers())
	// Output:
	// smtps relay.example.com 465 user ***
	// [localfs env]
}

func TestOpen(t *testing.T) {
	ctx := t.Context()
	kw := func(s string) *resolver.Kwargs {
		k, err := resolver.ParseKwargs([]byte(s))
		require.NoError(t, err)
		return k
	}
	tests := []struct {
		name      string
		cfg       resolver.Config
		wantTiers []string
		wantErr   string
	}{
		{name: "no backend: environment only", cfg: resolver.Config{BackendKwargs: kw("")}, wantTiers: []string{"env"}},
		{name: "localfs by class path", cfg: resolver.Config{Backend: "airflow.secrets.local_filesystem.LocalFilesystemBackend", BackendKwargs: kw("")},
			wantTiers: []string{"localfs", "env"}},
		{name: "env configured is not repeated", cfg: resolver.Config{Backend: "env", BackendKwargs: kw("")}, wantTiers: []string{"env"}},
		{name: "planned backend", cfg: resolver.Config{Backend: "aws-ssm", BackendKwargs: kw("")}, wantErr: `backend "aws-ssm" (aws-ssm) is not built yet`},
		{name: "planned alias", cfg: resolver.Config{Backend: "airflow.contrib.secrets.azure_key_vault.AzureKeyVaultBackend", BackendKwargs: kw("")},
			wantErr: "(azure-key-vault) is not built yet"},
		{name: "unknown", cfg: resolver.Config{Backend: "my.module.Backend", BackendKwargs: kw("")}, wantErr: `unknown backend "my.module.Backend"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := secretpath.Open(ctx, &tt.cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.True(t, errors.Is(err, resolver.ErrConfig), "configuration errors wrap ErrConfig: %v", err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantTiers, r.Tiers())
		})
	}
	assert.Subset(t, secretpath.KnownBackends(), []string{"localfs", "env", "metastore", "vault", "aws-ssm", "aws-secrets-manager", "gcp-secret-manager", "azure-key-vault"})
}
