package secretpath

// The HashiCorp Vault backend, available to config files and the CLI by
// name ("vault") and by Airflow's class paths, with its aws_iam auth
// method (which needs the AWS SDK, so it lives in a package of its own).
import (
	_ "github.com/secretpath/secretpath/builtin/vault"          // registers "vault"
	_ "github.com/secretpath/secretpath/builtin/vault/vaultaws" // registers vault's auth_type aws_iam
)
