package secretpath

// The AWS backends, available to config files and the CLI by name
// ("aws-ssm", "aws-secrets-manager") and by Airflow's class paths.
import (
	_ "github.com/secretpath/secretpath/builtin/awssecretsmanager" // registers "aws-secrets-manager"
	_ "github.com/secretpath/secretpath/builtin/awsssm"            // registers "aws-ssm"
)
