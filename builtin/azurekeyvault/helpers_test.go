package azurekeyvault_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/azurekeyvault"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// loopbackDial refuses every address but a loopback IP: no test can reach
// a cloud endpoint or a metadata address, whatever a credential tries.
func loopbackDial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("test transport: refusing to dial %s (not a loopback address)", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// newFake starts a fake in an isolated Azure environment, and makes every
// transport the backend builds from kwargs dial loopback only.
func newFake(t testing.TB) *azurefake.Server {
	t.Helper()
	f := azurefake.New(t)
	azurefake.Isolate(t, f)
	t.Cleanup(azurekeyvault.SetTransportHook(func(tr *http.Transport) {
		tr.DialContext = loopbackDial
		tr.MaxIdleConnsPerHost = 32 // the conformance suite's 16 goroutines reuse connections: fewer TLS handshakes
	}))
	return f
}

// absent, as a value in fakeKwargs' extra, deletes the key (nil is JSON
// null).
type absentKey struct{}

var absent = absentKey{}

// fakeKwargs points a backend at f with its client-secret credential, plus
// extra.
func fakeKwargs(t testing.TB, f *azurefake.Server, extra map[string]any) map[string]any {
	kw := map[string]any{
		"vault_url":                  f.URL,
		"tenant_id":                  azurefake.Tenant,
		"client_id":                  azurefake.ClientID,
		"client_secret":              azurefake.ClientSecret,
		"connection_verify":          f.WriteCA(t),
		"verify_challenge_resource":  false,
		"disable_instance_discovery": true,
	}
	maps.Copy(kw, extra)
	for k, v := range kw {
		if v == absent {
			delete(kw, k)
		}
	}
	return kw
}

// openKwargs builds the backend through the registry, as a config file does.
func openKwargs(t *testing.T, kw map[string]any) (resolver.Backend, error) {
	t.Helper()
	return testutil.OpenKwargs(t, azurekeyvault.Name, kw)
}

// openConfig builds the backend through the registry with cfg as the
// text of the config file airflow.cfg ("" and no environ: no file) and
// environ as the process environment.
func openConfig(t *testing.T, kw map[string]any, cfg string, environ []string) (*azurekeyvault.Backend, error) {
	t.Helper()
	raw, err := json.Marshal(kw)
	require.NoError(t, err)
	kwargs, err := config.ParseKwargs(raw)
	require.NoError(t, err)
	name := ""
	if cfg != "" {
		name = "airflow.cfg"
	}
	file, err := config.Parse(name, []byte(cfg), environ)
	require.NoError(t, err)
	b, err := resolver.OpenBackend(t.Context(), azurekeyvault.Name, resolver.Env{Kwargs: kwargs, Config: file})
	if err != nil {
		return nil, err
	}
	return b.(*azurekeyvault.Backend), nil
}

func mustOpenConfig(t *testing.T, kw map[string]any, cfg string, environ []string) *azurekeyvault.Backend {
	t.Helper()
	b, err := openConfig(t, kw, cfg, environ)
	require.NoError(t, err)
	return b
}

func mustOpen(t *testing.T, kw map[string]any) *azurekeyvault.Backend {
	t.Helper()
	b, err := openKwargs(t, kw)
	require.NoError(t, err)
	return b.(*azurekeyvault.Backend)
}

// fakeClient is an HTTP client that trusts f and dials loopback only.
func fakeClient(f *azurefake.Server) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(f.CertPEM())
	return &http.Client{Transport: &http.Transport{
		DialContext:         loopbackDial,
		MaxIdleConnsPerHost: 10,
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}
}

// fastRetries retries as the SDK does by default, with millisecond delays
// (a Retry-After up to 2 s is still honoured).
var fastRetries = policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond, MaxRetryDelay: 2 * time.Second}

// newGo builds the backend through the Go API against f: a real
// ClientSecretCredential talking to f's authority, fast retries.
func newGo(t testing.TB, f *azurefake.Server, o azurekeyvault.Options) *azurekeyvault.Backend {
	t.Helper()
	co := azcore.ClientOptions{
		Transport: fakeClient(f),
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: f.URL},
		Retry:     fastRetries,
	}
	if o.Credential == nil {
		cred, err := azidentity.NewClientSecretCredential(azurefake.Tenant, azurefake.ClientID, azurefake.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: true})
		require.NoError(t, err)
		o.Credential = cred
	}
	o.VaultURL = f.URL
	o.Client = azsecrets.ClientOptions{ClientOptions: co, DisableChallengeResourceVerification: true}
	b, err := azurekeyvault.New(o)
	require.NoError(t, err)
	return b
}
