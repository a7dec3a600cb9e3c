package executionapi

import (
	"crypto/tls"
	"crypto/x509"
	"strings"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver/config"
)

// tlsFromConfig is the TLS client configuration the task SDK's client
// builds from [api] (task-sdk api/client.py): the CAs of [api] ssl_ca_file
// when set (else the system's), plus the public CAs when [api]
// client_use_public_certs (default true; certifi there, the system's
// roots here), plus [api] ssl_cert (the API server's own certificate);
// and the client certificate [api] client_ssl_cert with client_ssl_key
// (both or neither). It returns nil when none of them is set. Errors name
// the option and where it is set, never a file's content.
func tlsFromConfig(cfg *config.File) (*tls.Config, error) {
	api := cfg.Section("api")
	get := func(key string) string {
		v, _ := api.Get(key)
		return strings.TrimSpace(v)
	}
	caFile, serverCert := get("ssl_ca_file"), get("ssl_cert")
	clientCert, clientKey := get("client_ssl_cert"), get("client_ssl_key")
	public, err := cfg.Bool("api", "client_use_public_certs", true)
	if err != nil {
		return nil, err
	}
	if caFile == "" && serverCert == "" && clientCert == "" && clientKey == "" && public {
		return nil, nil
	}
	var roots *x509.CertPool
	if caFile == "" || public {
		sys, err := x509.SystemCertPool()
		if err != nil || sys == nil {
			sys = x509.NewCertPool()
		}
		roots = sys
	} else {
		roots = x509.NewCertPool()
	}
	for _, o := range []struct{ key, path string }{{"ssl_ca_file", caFile}, {"ssl_cert", serverCert}} {
		if o.path == "" {
			continue
		}
		pem, err := kit.ReadFile(o.path, maxPEMFile)
		if err != nil {
			return nil, api.Errorf(o.key, "cannot be read: %v", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, api.Errorf(o.key, "holds no PEM certificate")
		}
	}
	c := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	switch {
	case clientCert != "" && clientKey != "":
		certPEM, err := kit.ReadFile(clientCert, maxPEMFile)
		if err != nil {
			return nil, api.Errorf("client_ssl_cert", "cannot be read: %v", err)
		}
		keyPEM, err := kit.ReadFile(clientKey, maxPEMFile)
		if err != nil {
			return nil, api.Errorf("client_ssl_key", "cannot be read: %v", err)
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			// Not crypto/tls's words: they are about the PEM blocks, and
			// a file named as the certificate may hold a key.
			return nil, api.Errorf("client_ssl_cert", "and client_ssl_key do not make a certificate and key pair "+
				"(not a PEM certificate and matching private key)")
		}
		c.Certificates = []tls.Certificate{pair}
	case clientCert != "" || clientKey != "":
		key := "client_ssl_cert"
		if clientCert != "" {
			key = "client_ssl_key"
		}
		return nil, api.Errorf(key, "is not set: both client_ssl_cert and client_ssl_key must be set")
	}
	return c, nil
}

// maxPEMFile bounds a CA bundle, certificate or key file (a system's CA
// bundle is about 200 KiB).
const maxPEMFile = 4 << 20
