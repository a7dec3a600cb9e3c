//go:build !secretpath_no_azure

package secretpath

// The Azure Key Vault backend, available to config files and the CLI by
// name ("azure-key-vault") and by Airflow's class paths. Build with -tags
// secretpath_no_azure to leave it (and the Azure SDK) out.
import _ "github.com/secretpath/secretpath/builtin/azurekeyvault" // registers "azure-key-vault"
