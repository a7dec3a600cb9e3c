package azurefake

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/secretpath/secretpath/internal/testutil"
)

// ClientCertFiles are the files WriteClientCert writes.
type ClientCertFiles struct {
	Cert, Key string // the certificate and its key, one PEM file each
	Both      string // one PEM file holding both, as requests' cert= takes it
}

// WriteClientCert writes a new self-signed TLS client certificate whose
// common name is cn, and its key, to a temporary directory.
func WriteClientCert(t testing.TB, cn string) ClientCertFiles {
	t.Helper()
	certPEM, keyPEM, _ := testutil.ClientCert(t, cn)
	dir := t.TempDir()
	f := ClientCertFiles{
		Cert: filepath.Join(dir, "client.crt"),
		Key:  filepath.Join(dir, "client.key"),
		Both: filepath.Join(dir, "client.pem"),
	}
	for path, data := range map[string][]byte{f.Cert: certPEM, f.Key: keyPEM, f.Both: append(append([]byte{}, certPEM...), keyPEM...)} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return f
}
