package azurefake

import (
	"os"
	"path/filepath"
	"testing"
)

// azureEnv are the environment variables through which the machine could
// reach into an Azure credential: azidentity's and MSAL's, the managed
// identity sources', and the developer tools'.
var azureEnv = []string{
	"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET",
	"AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN",
	"AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE",
	"AZURE_AUTHORITY_HOST", "AZURE_ADDITIONALLY_ALLOWED_TENANTS", "AZURE_REGIONAL_AUTHORITY_NAME",
	"AZURE_TOKEN_CREDENTIALS", "AZURE_POD_IDENTITY_AUTHORITY_HOST",
	"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT",
	"MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT",
	"AZURE_CONFIG_DIR", "AZD_CONFIG_DIR",
	"SYSTEM_OIDCREQUESTURI", "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
}

// Isolate gives the test an Azure environment that can only reach s,
// restored when it ends: no credentials from the machine;
// AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential, so DefaultAzureCredential
// tries the managed identity only (no developer tools are run); and
// IDENTITY_ENDPOINT and IDENTITY_HEADER pointing at s's identity endpoint,
// so a managed identity credential asks s, never 169.254.169.254.
// AZURE_AUTHORITY_HOST is s.URL, so a client-secret credential asks s's
// authority (it still needs instance discovery disabled, or MSAL would ask
// login.microsoftonline.com whether s is a valid authority). It uses
// t.Setenv: the test must not be parallel.
func Isolate(t testing.TB, s *Server) {
	t.Helper()
	for _, k := range azureEnv {
		t.Setenv(k, "")
		_ = os.Unsetenv(k)
	}
	dir := t.TempDir()
	t.Setenv("AZURE_CONFIG_DIR", filepath.Join(dir, "azure"))
	t.Setenv("AZD_CONFIG_DIR", filepath.Join(dir, "azd"))
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential")
	t.Setenv("IDENTITY_ENDPOINT", s.IdentityEndpoint)
	t.Setenv("IDENTITY_HEADER", IdentityHeader)
	t.Setenv("AZURE_AUTHORITY_HOST", s.URL)
}
