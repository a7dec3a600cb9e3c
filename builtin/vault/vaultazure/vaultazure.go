// Package vaultazure is the Vault backend's azure auth method (Airflow's
// auth_type "azure"): the login sends Vault's azure auth method, POST
// auth/azure/login, the role and an access token from Microsoft Entra ID
// for the resource Vault's azure method is configured with, as hvac's
// azure.login takes them.
//
// It lives apart from package vault because it needs the Azure SDK
// (azidentity), which the vault package does not link. Importing it,
// usually for its side effect only, registers the method with
// vault.RegisterAuthMethod:
//
//	import _ "github.com/secretpath/secretpath/builtin/vault/vaultazure"
//
// The root package github.com/secretpath/secretpath and the secretpath
// command import it unless built with tag secretpath_no_azure (or
// secretpath_no_vault). Without it, a Vault backend with auth_type azure is
// a configuration error that names this package.
//
// The kwargs are decoded by package vault into vault.Auth, with Airflow's
// names: azure_tenant_id (the Entra tenant) and azure_resource (the
// token's audience: Vault's azure config resource) are required, as
// Airflow requires them; role_id is the Vault role (required: Vault's
// login needs one); key_id and secret_id, the client id and client secret
// of a service principal, give a client secret credential (Airflow's
// docstring: key_id and secret_id "for azure"), and without them
// azidentity's DefaultAzureCredential is used (environment, workload
// identity, managed identity, developer tools; AZURE_TOKEN_CREDENTIALS
// narrows it). The token asked for has scope azure_resource + "/.default".
// The default mount is "azure". Login errors have the client secret
// (key_id's secret_id) and the access token (the login's jwt, should
// Vault's answer quote it) masked. Each login logs (debug, to the backend's logger)
// which credential it used, the tenant and the resource, never a secret.
//
// Airflow itself does not log in: its _auth_azure calls hvac's
// azure.configure, which writes tenant_id, resource, client_id and
// client_secret to auth/azure/config (an administrator's operation that
// reconfigures the server for every user) and then reads with whatever
// token hvac found in VAULT_TOKEN or ~/.vault-token. This package logs in
// instead and never writes the server's configuration.
package vaultazure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/secretpath/secretpath/builtin/vault"
)

// mount is the azure method's default mount path.
const mount = "azure"

func init() {
	vault.RegisterAuthMethod(vault.AuthAzure, vault.AuthMethod{Mount: mount, Login: login, Redact: redact, MaskBody: []string{"jwt"}})
}

// clientOptions are the credentials' azcore options and whether instance
// discovery is off: the SDK's defaults, replaced by tests (export_test.go)
// to reach a loopback authority.
var clientOptions = func() (azcore.ClientOptions, bool) { return azcore.ClientOptions{}, false }

// Scope is the token scope for resource, the audience Vault's azure method
// checks: resource + "/.default", as the Microsoft identity platform's
// client credentials flow takes it (a resource ending in "/" keeps it:
// https://management.azure.com//.default).
func Scope(resource string) string { return resource + "/.default" }

// login returns the body of an azure login: the role and an access token
// for the configured resource.
func login(ctx context.Context, req vault.LoginRequest) (map[string]any, error) {
	a := &req.Auth
	co, noDiscovery := clientOptions()
	var cred azcore.TokenCredential
	var err error
	kind := "client secret (key_id and secret_id)"
	if a.KeyID != "" && a.SecretID != "" {
		cred, err = azidentity.NewClientSecretCredential(a.AzureTenantID, a.KeyID, a.SecretID, &azidentity.ClientSecretCredentialOptions{
			ClientOptions: co, DisableInstanceDiscovery: noDiscovery,
		})
	} else {
		kind = "DefaultAzureCredential"
		cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: co, DisableInstanceDiscovery: noDiscovery, TenantID: a.AzureTenantID,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("%s: azure: %s: %w", vault.Name, kind, err)
	}
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{Scope(a.AzureResource)}})
	if err != nil {
		return nil, fmt.Errorf("%s: azure: an access token for azure_resource %q (%s): %w", vault.Name, a.AzureResource, kind, err)
	}
	if tok.Token == "" {
		return nil, errors.New(vault.Name + ": azure: the credential returned an empty access token")
	}
	req.Logger.LogAttrs(ctx, slog.LevelDebug, "vault: azure login",
		slog.String("credential", kind), slog.String("tenant", a.AzureTenantID), slog.String("resource", a.AzureResource))
	return map[string]any{"role": a.RoleID, "jwt": tok.Token}, nil
}

// redact masks the client secret in a login error (Entra's answers can
// quote the request).
func redact(a vault.Auth, err error) error {
	msg := err.Error()
	if a.SecretID != "" {
		msg = strings.ReplaceAll(msg, a.SecretID, "***")
	}
	return &redactedError{msg: msg, err: err}
}

// redactedError is an error with credentials masked in its text; it
// unwraps to the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
