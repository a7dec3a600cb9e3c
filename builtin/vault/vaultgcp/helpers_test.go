package vaultgcp_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/builtin/vault/vaultgcp"
	"github.com/secretpath/secretpath/internal/gcpfake"
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

// sa is the service account whose key the tests use.
const sa = "vault-login@" + gcpfake.ProjectID + ".iam.gserviceaccount.com"

// env is a fake Vault with KV v2 at secret/ holding variables/hello and
// the gcp method at gcp/, whose role "airflow" (iam) is bound to sa and
// role "worker" (gce) to the metadata server's account, knowing their
// keys as IAM and Google publish them; and a fake Google (token endpoint,
// IAM, metadata server) that the credentials alone can reach.
type env struct {
	vault   *vaultfake.Server
	g       *gcpfake.Server
	keyPath string // sa's JSON key file
	key     []byte
}

func newEnv(t *testing.T) env {
	t.Helper()
	vaultfake.Isolate(t)
	g := gcpfake.New(t)
	gcpfake.Isolate(t, g)
	vaultgcp.UseIAM(t, g.URL)
	key := g.ServiceAccountKey(sa)
	keyPath := filepath.Join(t.TempDir(), "sa.json")
	require.NoError(t, os.WriteFile(keyPath, key, 0o600))

	f := vaultfake.New(t)
	f.Mount("secret", 2)
	f.Put("secret", "variables/hello", map[string]any{"value": "world"})
	f.EnableAuth("", vaultfake.GCP, vaultfake.TokenOptions{TTL: loginTTL})
	for _, email := range []string{sa, g.MetadataAccount(), vaultfake.GoogleIssuer} {
		kid, pub := g.SigningKey(email)
		f.AddGCPKey("gcp", email, kid, pub)
	}
	f.AddGCPRole("gcp", "airflow", vaultfake.GCPRole{Type: "iam", ServiceAccount: sa})
	f.AddGCPRole("gcp", "md", vaultfake.GCPRole{Type: "iam", ServiceAccount: g.MetadataAccount()})
	f.AddGCPRole("gcp", "worker", vaultfake.GCPRole{Type: "gce", ServiceAccount: g.MetadataAccount()})
	return env{vault: f, g: g, keyPath: keyPath, key: key}
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
