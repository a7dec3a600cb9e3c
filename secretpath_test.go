package secretpath_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/secretpath/secretpath/internal/abitest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath"
	"github.com/secretpath/secretpath/builtin/metastore"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

// TestMain keeps the embedded default metastore out of the user's home.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "secretpath-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv(metastore.HomeEnv, dir)
	os.Setenv("SECRETPATH_CACHE_DIR", filepath.Join(dir, "wasm-cache"))
	testutil.GuardMetadata()
	code := m.Run()
	abitest.Cleanup() // the guests TestREADMEConfigBlocks built
	os.RemoveAll(dir)
	os.Exit(code)
}

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
	// [localfs env metastore]
}

func TestOpen(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	tests := []struct {
		name      string
		cfg       string
		wantTiers []string
		wantErr   string
	}{
		{name: "no backend: environment, then the metastore", wantTiers: []string{"env", "metastore"}},
		{name: "localfs by class path", cfg: "[secrets]\nbackend = airflow.secrets.local_filesystem.LocalFilesystemBackend\n",
			wantTiers: []string{"localfs", "env", "metastore"}},
		{name: "env configured is not repeated", cfg: "[secrets]\nbackend = env\n", wantTiers: []string{"env", "metastore"}},
		{name: "metastore configured is not repeated", cfg: "[secrets]\nbackend = airflow.secrets.metastore.MetastoreBackend\n",
			wantTiers: []string{"metastore", "env"}},
		{name: "metastore takes no kwargs", cfg: "[secrets]\nbackend = metastore\nbackend_kwargs = {\"sql_alchemy_conn\": \"sqlite://\"}\n",
			wantErr: "unknown backend_kwargs key(s): sql_alchemy_conn"},
		{name: "bad fernet key", cfg: "[core]\nfernet_key = Pl4nted-not-a-key\n",
			wantErr: "fernet_key: key 1 of 1 is not URL-safe base64"},
		{name: "bad sql_alchemy_conn", cfg: "[database]\nsql_alchemy_conn = mssql://u:Pl4nted@h/db\n",
			wantErr: `unsupported scheme "mssql"`},
		{name: "azure by class path", cfg: "[secrets]\nbackend = airflow.contrib.secrets.azure_key_vault.AzureKeyVaultBackend\n" +
			`backend_kwargs = {"vault_url": "https://kv.vault.azure.net/", "tenant_id": "t", "client_id": "c", "client_secret": "Pl4nted-secret"}` + "\n",
			wantTiers: []string{"azure-key-vault", "env", "metastore"}},
		{name: "azure needs vault_url", cfg: "[secrets]\nbackend = azure-key-vault\n", wantErr: `"vault_url" is required`},
		{name: "unknown", cfg: "[secrets]\nbackend = my.module.Backend\n", wantErr: `secretpath.cfg:2: [secrets] backend: unknown backend "my.module.Backend"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The metastore's default SQLite file goes to a temporary home.
			t.Setenv("HOME", dir)
			cfg, err := config.Parse("secretpath.cfg", []byte(tt.cfg), nil)
			require.NoError(t, err)
			r, err := resolver.Open(ctx, cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.True(t, errors.Is(err, config.ErrInvalid), "configuration errors wrap config.ErrInvalid: %v", err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "Pl4nted")
				return
			}
			require.NoError(t, err)
			defer r.Close()
			assert.Equal(t, tt.wantTiers, r.Tiers())
		})
	}
	var names []string
	for _, reg := range resolver.Registered() {
		names = append(names, reg.Name)
	}
	assert.Subset(t, names, []string{"localfs", "env", "metastore", "vault", "aws-ssm", "aws-secrets-manager", "gcp-secret-manager", "azure-key-vault", "kubernetes-secrets", "wasm", "execution-api"})
}

// TestMetastoreTier: the metastore answers after the environment, from
// [database] sql_alchemy_conn with [core] fernet_key.
func TestMetastoreTier(t *testing.T) {
	ctx := t.Context()
	const key = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	dbPath := filepath.Join(t.TempDir(), "airflow.db")
	ms, err := metastore.Open(metastore.Options{DSN: "sqlite:///" + dbPath, FernetKey: connection.NewSecret(key)})
	require.NoError(t, err)
	c, err := connection.ParseURI("from_db", "postgres://u:db-pw@db-host:5432/app")
	require.NoError(t, err)
	require.NoError(t, ms.SetConnection(ctx, c))
	c.ConnID = "shadowed"
	require.NoError(t, ms.SetConnection(ctx, c))
	require.NoError(t, ms.SetVariable(ctx, "region", "eu-west-1", ""))
	require.NoError(t, ms.Close())

	cfg, err := config.Parse("airflow.cfg", []byte("[database]\nsql_alchemy_conn = sqlite:///"+dbPath+"\n[core]\nfernet_key = "+key+"\n"),
		[]string{"AIRFLOW_CONN_SHADOWED=http://env-host"})
	require.NoError(t, err)
	t.Setenv("AIRFLOW_CONN_SHADOWED", "http://env-host")
	r, err := resolver.Open(ctx, cfg)
	require.NoError(t, err)
	defer r.Close()
	assert.Equal(t, []string{"env", "metastore"}, r.Tiers())

	got, err := r.Connection(ctx, "from_db")
	require.NoError(t, err)
	assert.Equal(t, "db-host", got.Host)
	assert.Equal(t, "db-pw", got.Password.Reveal())
	got, err = r.Connection(ctx, "shadowed")
	require.NoError(t, err)
	assert.Equal(t, "env-host", got.Host, "the environment comes before the metastore")
	v, err := r.Variable(ctx, "region")
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", v.Reveal())
	_, err = r.Variable(ctx, "absent")
	var nf *resolver.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Empty(t, nf.Errs, "a clean miss in every tier")

	// The wrong key: the metastore fails, the failure is reported, no
	// value leaks.
	cfg, err = config.Parse("airflow.cfg", []byte("[database]\nsql_alchemy_conn = sqlite:///"+dbPath+"\n[core]\nfernet_key = Xj6kcdvl4TYbSmA5yBVgmPgMq1ZKm0UpHvR5T0XZ1n0=\n"), nil)
	require.NoError(t, err)
	r2, err := resolver.Open(ctx, cfg)
	require.NoError(t, err)
	defer r2.Close()
	_, err = r2.Connection(ctx, "from_db")
	require.ErrorAs(t, err, &nf)
	require.Len(t, nf.Errs, 1)
	assert.ErrorIs(t, err, metastore.ErrDecrypt)
	assert.NotContains(t, err.Error(), "db-pw")
}
