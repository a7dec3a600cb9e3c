package vaultaws_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
	_ "github.com/secretpath/secretpath/builtin/vault/vaultaws" // registers aws_iam
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
)

// loginTTL is the lifetime of the tokens the fake's logins issue.
const loginTTL = time.Hour

// openKwargs builds a vault backend through the registry, as a config file
// does.
func openKwargs(t testing.TB, kw map[string]any) (resolver.Backend, error) {
	t.Helper()
	return testutil.OpenKwargs(t, vault.Name, kw)
}

// mustOpen opens the backend and closes it when t ends.
func mustOpen(t testing.TB, kw map[string]any) *vault.Backend {
	t.Helper()
	b, err := openKwargs(t, kw)
	require.NoError(t, err)
	vb, ok := b.(*vault.Backend)
	require.True(t, ok, "%T", b)
	t.Cleanup(func() { _ = vb.Close() })
	return vb
}

// fake is a fake Vault with KV v2 at secret/, in an isolated environment.
type fake struct {
	*vaultfake.Server
}

// varReq is the request for variable key, without a team.
func varReq(key string) resolver.Request {
	return resolver.Request{Kind: resolver.KindVariable, ID: key}
}

func newFake(t testing.TB) *fake {
	t.Helper()
	vaultfake.Isolate(t)
	s := vaultfake.New(t)
	s.Mount("secret", 2)
	return &fake{Server: s}
}
