package azurekeyvault_test

import (
	"context"
	"fmt"
	"log"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretpath/secretpath/builtin/azurekeyvault"
	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/internal/azurefake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// From Go: a credential (in production azidentity.NewDefaultAzureCredential
// or a client-secret credential for Microsoft Entra), then a Backend in a
// resolver's search path. A local fake stands in for the vault and the
// authority here, so the client trusts its certificate, asks it for tokens
// and lets its challenge name a resource outside 127.0.0.1's domain.
func Example() {
	ctx := context.Background()
	fake := azurefake.NewServer()
	defer fake.Close()
	fake.SetSecret("airflow-connections-smtp-default", "smtps://user:s3cret@relay.example.com:465")

	local := azcore.ClientOptions{
		Transport: fake.Client(),
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: fake.URL},
	}
	cred, err := azidentity.NewClientSecretCredential(azurefake.Tenant, azurefake.ClientID, azurefake.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: local, DisableInstanceDiscovery: true})
	if err != nil {
		log.Fatal(err)
	}
	b, err := azurekeyvault.New(azurekeyvault.Options{
		VaultURL:   fake.URL, // https://<vault-name>.vault.azure.net/
		Credential: cred,
		Client:     azsecrets.ClientOptions{ClientOptions: local, DisableChallengeResourceVerification: true},
		Variables:  location.Location{Off: true}, // variables live elsewhere: never asked
	})
	if err != nil {
		log.Fatal(err)
	}
	r := resolver.New(resolver.WithBackend(azurekeyvault.Name, b))
	conn, err := r.Connection(ctx, "smtp_default")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.ConnType, conn.Host, conn.Port, conn.Login, conn.Password)
	fmt.Println(fake.Names(azurefake.KindGetSecret)) // the challenge, then the authorized request
	// Output:
	// smtps relay.example.com 465 user ***
	// [airflow-connections-smtp-default airflow-connections-smtp-default]
}

// The secret each id is read from, as backend_kwargs configure it: '_'
// (and '.') become sep over the whole name; ids that cannot make a Key
// Vault name are not found without a request; teama__db is an ordinary id
// ([core] multi_team is off). Building the backend makes no request.
func ExampleBackend_SecretName() {
	kwargs, err := config.ParseKwargs([]byte(`{
		"vault_url": "https://myvault.vault.azure.net/",
		"tenant_id": "00000000-0000-4000-8000-0000000000aa",
		"client_id": "00000000-0000-4000-8000-0000000000cc",
		"client_secret": "example-secret",
		"connections_prefix": "airflow_conns",
		"variables_prefix": ""}`))
	if err != nil {
		log.Fatal(err)
	}
	rb, err := resolver.OpenBackend(context.Background(), "airflow.providers.microsoft.azure.secrets.key_vault.AzureKeyVaultBackend", resolver.Env{Kwargs: kwargs})
	if err != nil {
		log.Fatal(err)
	}
	b := rb.(*azurekeyvault.Backend)
	for _, q := range []struct {
		kind resolver.Kind
		id   string
	}{
		{resolver.KindConnection, "smtp_default"},
		{resolver.KindConnection, "reporting.db"},
		{resolver.KindVariable, "retry_policy"},
		{resolver.KindConfig, "sql_alchemy_conn"},
		{resolver.KindConnection, "teama__db"},
		{resolver.KindVariable, "a:b"},
	} {
		fmt.Println(b.SecretName(resolver.Request{Kind: q.kind, ID: q.id}))
	}
	// Output:
	// airflow-conns-smtp-default <nil>
	// airflow-conns-reporting-db <nil>
	// retry-policy <nil>
	// airflow-config-sql-alchemy-conn <nil>
	// airflow-conns-teama--db <nil>
	//  not found: id "a:b": secret name "a:b" is not a valid Key Vault secret name (1-127 of 0-9, a-z, A-Z and -), so no such secret can exist
}
