//go:build !secretpath_no_vault

package secretpath

// The HashiCorp Vault backend, available to config files and the CLI by
// name ("vault") and by Airflow's class paths. Build with -tags
// secretpath_no_vault to leave it out.
import _ "github.com/secretpath/secretpath/builtin/vault" // registers "vault"
