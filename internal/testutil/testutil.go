// Package testutil holds helpers shared by secretpath's tests.
package testutil

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// RequireAllEnv is the environment variable that turns a missing
// prerequisite from a skip into a failure. CI sets it to 1.
const RequireAllEnv = "SECRETPATH_REQUIRE_ALL"

// Missing reports that a prerequisite of the test (a server, a toolchain)
// is absent: the test is skipped with the reason, or fails when
// SECRETPATH_REQUIRE_ALL=1.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequireAllEnv) == "1" {
		t.Fatalf("missing prerequisite ("+RequireAllEnv+"=1): "+format, args...)
	}
	t.Skipf("skipped, missing prerequisite: "+format, args...)
}

// RepoRoot is the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// GuardMetadata points every cloud SDK's metadata or identity endpoint at
// a loopback port where nothing listens, for the whole test process, so
// that a credential chain a test builds without its own fake fails fast
// instead of probing 169.254.169.254: AWS_EC2_METADATA_DISABLED,
// GCE_METADATA_HOST, and Azure's AZURE_TOKEN_CREDENTIALS with
// IDENTITY_ENDPOINT. Variables already set are left alone, so a CI
// script's own guard wins. Call it from TestMain of packages that build
// backends from configs.
func GuardMetadata() {
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_DISABLED": "true",
		"GCE_METADATA_HOST":         "127.0.0.1:9",
		"AZURE_TOKEN_CREDENTIALS":   "ManagedIdentityCredential",
		"IDENTITY_ENDPOINT":         "http://127.0.0.1:9/msi/token",
		"IDENTITY_HEADER":           "guard",
	} {
		if _, ok := os.LookupEnv(k); !ok {
			os.Setenv(k, v)
		}
	}
}

// OpenKwargs builds the registered backend name from kwargs given as a
// map, through the registry, as a config file's backend_kwargs do.
func OpenKwargs(t testing.TB, name string, kw map[string]any) (resolver.Backend, error) {
	t.Helper()
	return OpenKwargsLogged(t, name, kw, nil)
}

// OpenKwargsLogged is OpenKwargs with the backend logging (debug level and
// up, as text) to log when it is not nil.
func OpenKwargsLogged(t testing.TB, name string, kw map[string]any, log *SyncBuffer) (resolver.Backend, error) {
	t.Helper()
	if kw == nil {
		kw = map[string]any{}
	}
	raw, err := json.Marshal(kw)
	if err != nil {
		t.Fatalf("backend_kwargs %v: %v", kw, err)
	}
	kwargs, err := config.ParseKwargs(raw)
	if err != nil {
		t.Fatalf("backend_kwargs: %v", err)
	}
	env := resolver.Env{Kwargs: kwargs}
	if log != nil {
		env.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return resolver.OpenBackend(t.Context(), name, env)
}

// SyncBuffer is a log that a backend's goroutines may write to while the
// test reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ClientCert makes a self-signed ECDSA client certificate (CommonName cn,
// valid from an hour ago for a day) and returns it and its key as PEM
// (CERTIFICATE, EC PRIVATE KEY), and the certificate's DER.
func ClientCert(t testing.TB, cn string) (certPEM, keyPEM, der []byte) {
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
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	return certPEM, keyPEM, der
}
