//go:build !secretpath_no_vault && !secretpath_no_aws

package secretpath

// Vault's aws_iam auth method needs the AWS SDK, so it lives in a package
// of its own, linked when both Vault and AWS are.
import _ "github.com/secretpath/secretpath/builtin/vault/vaultaws" // registers vault's auth_type aws_iam
