//go:build !secretpath_no_aws

package secretpath

// The AWS backends, available to config files and the CLI by name
// ("aws-ssm", "aws-secrets-manager") and by Airflow's class paths. Build
// with -tags secretpath_no_aws to leave them (and the AWS SDK) out.
import (
	_ "github.com/secretpath/secretpath/builtin/awssecretsmanager" // registers "aws-secrets-manager"
	_ "github.com/secretpath/secretpath/builtin/awsssm"            // registers "aws-ssm"
)
