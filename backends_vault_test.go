package secretpath_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/secretpath/secretpath" // the "everything" package under test
	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestVaultAWSIAMLinked: the root package links the vault backend's
// aws_iam login (package builtin/vault/vaultaws), so a config asking for
// it logs in with a signed STS request, as before the method moved out of
// builtin/vault.
func TestVaultAWSIAMLinked(t *testing.T) {
	const akid, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	awsfake.Isolate(t)
	vaultfake.Isolate(t)
	f := vaultfake.New(t)
	f.Mount("secret", 2)
	f.Put("secret", "variables/hello", map[string]any{"value": "world"})
	f.EnableAuth("", vaultfake.AWS, vaultfake.TokenOptions{})
	f.AddCredential("aws", akid, secret)
	raw, err := json.Marshal(map[string]any{"url": f.URL, "auth_type": "aws_iam", "key_id": akid, "secret_id": secret})
	require.NoError(t, err)
	kw, err := config.ParseKwargs(raw)
	require.NoError(t, err)
	b, err := resolver.OpenBackend(t.Context(), "vault", resolver.Env{Kwargs: kw})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.(interface{ Close() error }).Close() })
	v, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "hello"})
	require.NoError(t, err)
	assert.Equal(t, "world", v)
	assert.Equal(t, "auth/aws/login", f.Requests()[0].Path)
}
