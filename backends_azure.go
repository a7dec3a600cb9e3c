package secretpath

// The Azure Key Vault backend, available to config files and the CLI by
// name ("azure-key-vault") and by Airflow's class paths.
import (
	_ "github.com/secretpath/secretpath/builtin/azurekeyvault" // registers "azure-key-vault"
)
