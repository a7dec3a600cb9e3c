package vaultazure

import (
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// UseAuthority makes the credentials ask the authority at host (a
// loopback fake) through client, with instance discovery off (MSAL would
// otherwise ask login.microsoftonline.com whether host is an authority),
// until t ends.
func UseAuthority(t testing.TB, host string, client *http.Client) {
	t.Helper()
	prev := clientOptions
	clientOptions = func() (azcore.ClientOptions, bool) {
		return azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: host + "/", Services: map[cloud.ServiceName]cloud.ServiceConfiguration{}},
			Transport: client,
		}, true
	}
	t.Cleanup(func() { clientOptions = prev })
}

// Redact is redact, for tests.
var Redact = redact
