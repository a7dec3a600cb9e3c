package secretpath

// The HashiCorp Vault backend, available to config files and the CLI by
// name ("vault") and by Airflow's class paths.
import _ "github.com/secretpath/secretpath/builtin/vault" // registers "vault"
