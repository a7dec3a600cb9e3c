//go:build !secretpath_no_vault && !secretpath_no_gcp

package secretpath

// Vault's gcp auth method needs Google's credential libraries, so it lives
// in a package of its own, linked when both Vault and GCP are.
import _ "github.com/secretpath/secretpath/builtin/vault/vaultgcp" // registers vault's auth_type gcp
