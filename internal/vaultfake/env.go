package vaultfake

import (
	"crypto/tls"
	"encoding/pem"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/secretpath/secretpath/internal/testutil"
)

// Isolate gives the test an environment without VAULT_* variables (which
// the Vault client reads: VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE,
// VAULT_CACERT, ...), restored when it ends, a HOME without a
// ~/.vault-token, and VAULT_MAX_RETRIES=0 so that a 5xx fails at once. It
// uses t.Setenv: the test must not be parallel.
func Isolate(t testing.TB) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "VAULT_") {
			t.Setenv(k, "")
			_ = os.Unsetenv(k)
		}
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("VAULT_MAX_RETRIES", "0")
}

func sortTokens(ts []*Token) {
	slices.SortFunc(ts, func(a, b *Token) int { return a.Created.Compare(b.Created) })
}

func pemEncode(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// ClientCert is a self-signed client certificate for the cert auth method.
type ClientCert struct {
	CertPEM, KeyPEM []byte
	DER             []byte // the certificate, for CertFingerprint
	TLS             tls.Certificate
}

// NewClientCert makes a self-signed ECDSA client certificate.
func NewClientCert(t testing.TB, cn string) ClientCert {
	t.Helper()
	var c ClientCert
	c.CertPEM, c.KeyPEM, c.DER = testutil.ClientCert(t, cn)
	var err error
	if c.TLS, err = tls.X509KeyPair(c.CertPEM, c.KeyPEM); err != nil {
		t.Fatal(err)
	}
	return c
}
