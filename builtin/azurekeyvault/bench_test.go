package azurekeyvault_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretpath/secretpath/builtin/azurekeyvault"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/resolver"
)

// The benchmarks compare a lookup through the backend with the same
// GetSecret call made directly with azsecrets, from the same credential
// and client options (target: ≤ 5% overhead). Each runs the two calls in
// one loop, alternating which goes first, and reports each one's time per
// call and the backend's overhead in percent; ns/op counts both calls.

// BenchmarkGetSecret: against the TLS fake on loopback, with a real
// client-secret credential (one token, reused).
func BenchmarkGetSecret(b *testing.B) {
	f := newFake(b)
	f.SetSecret("airflow-connections-smtp-default", "smtps://user:s3cret@relay.example.com:465")
	co := azcore.ClientOptions{Transport: fakeClient(f), Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: f.URL}}
	cred, err := azidentity.NewClientSecretCredential(azurefake.Tenant, azurefake.ClientID, azurefake.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: true})
	if err != nil {
		b.Fatal(err)
	}
	benchPair(b, f.URL, cred, co)
}

// BenchmarkGetSecretInMemory: the HTTP exchange replaced by canned
// responses (the challenge, then the secret), so that the comparison
// isolates the CPU the backend adds to the SDK's own work.
func BenchmarkGetSecretInMemory(b *testing.B) {
	benchPair(b, "https://kv.vault.azure.net", staticToken{}, azcore.ClientOptions{Transport: cannedVault{}})
}

func benchPair(b *testing.B, vaultURL string, cred azcore.TokenCredential, co azcore.ClientOptions) {
	sco := azsecrets.ClientOptions{ClientOptions: co, DisableChallengeResourceVerification: true}
	backend, err := azurekeyvault.New(azurekeyvault.Options{VaultURL: vaultURL, Credential: cred, Client: sco})
	if err != nil {
		b.Fatal(err)
	}
	client, err := azsecrets.NewClient(vaultURL, cred, &sco)
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	callSDK := func() time.Duration {
		t0 := time.Now()
		resp, err := client.GetSecret(ctx, "airflow-connections-smtp-default", "", nil)
		if err != nil || *resp.Value == "" {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	callBackend := func() time.Duration {
		t0 := time.Now()
		v, err := backend.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"})
		if err != nil || v == "" {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	callSDK() // the challenge and the token, for both
	callBackend()
	b.ReportAllocs()
	var sdk, ours time.Duration
	n := 0
	for b.Loop() {
		if n%2 == 0 {
			sdk += callSDK()
			ours += callBackend()
		} else {
			ours += callBackend()
			sdk += callSDK()
		}
		n++
	}
	b.ReportMetric(float64(sdk.Nanoseconds())/float64(n), "sdk-ns/call")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(n), "backend-ns/call")
	b.ReportMetric(100*(float64(ours)-float64(sdk))/float64(sdk), "overhead-%")
}

// staticToken is a credential with a token that never expires.
type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "bench-token", ExpiresOn: time.Now().Add(24 * time.Hour)}, nil
}

// cannedVault answers an unauthorized request with Key Vault's challenge
// and an authorized one with a secret.
type cannedVault struct{}

func (cannedVault) Do(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") == "" {
		const body = `{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}`
		return &http.Response{
			StatusCode: http.StatusUnauthorized,
			Header: http.Header{"Content-Type": {"application/json"},
				"Www-Authenticate": {`Bearer authorization="https://login.microsoftonline.com/` + azurefake.Tenant + `", resource="https://vault.azure.net"`}},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req,
		}, nil
	}
	const body = `{"value":"smtps://user:s3cret@relay.example.com:465","id":"https://kv.vault.azure.net/secrets/airflow-connections-smtp-default/0123456789abcdef0123456789abcdef",` +
		`"attributes":{"enabled":true,"created":1764417600,"updated":1764417600,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90},"tags":{}}`
	return &http.Response{
		StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req,
	}, nil
}
