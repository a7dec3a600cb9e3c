package vaultfake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
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
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := ClientCert{CertPEM: pemEncode("CERTIFICATE", der), KeyPEM: pemEncode("EC PRIVATE KEY", kder), DER: der}
	if c.TLS, err = tls.X509KeyPair(c.CertPEM, c.KeyPEM); err != nil {
		t.Fatal(err)
	}
	return c
}
