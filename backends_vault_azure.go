//go:build !secretpath_no_vault && !secretpath_no_azure

package secretpath

// Vault's azure auth method needs the Azure SDK (azidentity), so it lives
// in a package of its own, linked when both Vault and Azure are.
import _ "github.com/secretpath/secretpath/builtin/vault/vaultazure" // registers vault's auth_type azure
