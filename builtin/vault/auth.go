package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/secretpath/secretpath/resolver/config"
)

// The auth types (Airflow's auth_type values, plus cert).
const (
	AuthToken      = "token"
	AuthAppRole    = "approle"
	AuthUserpass   = "userpass"
	AuthLDAP       = "ldap"
	AuthKubernetes = "kubernetes"
	AuthJWT        = "jwt"
	AuthGitHub     = "github"
	AuthCert       = "cert"
	// AuthRadius logs in with Username and Password at
	// auth/radius/login/<username>.
	AuthRadius = "radius"
	// AuthAWSIAM is implemented by package
	// github.com/secretpath/secretpath/builtin/vault/vaultaws, which must
	// be linked (imported) for it to work: see AuthMethod.
	AuthAWSIAM = "aws_iam"
	// AuthAzure is implemented by package
	// github.com/secretpath/secretpath/builtin/vault/vaultazure.
	AuthAzure = "azure"
	// AuthGCP is implemented by package
	// github.com/secretpath/secretpath/builtin/vault/vaultgcp.
	AuthGCP = "gcp"
)

// The role types of Vault's gcp auth method (Auth.GCPRoleType).
const (
	// GCPRoleIAM: a JWT signed by IAM for a service account (Airflow's
	// gcp login).
	GCPRoleIAM = "iam"
	// GCPRoleGCE: the instance identity token of the GCE metadata server.
	GCPRoleGCE = "gce"
)

// DefaultKubernetesJWTPath is where a Kubernetes pod finds its service
// account token (Airflow's default kubernetes_jwt_path).
const DefaultKubernetesJWTPath = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// Auth says how the backend authenticates. Only the fields of Type are used.
type Auth struct {
	// Type is one of the Auth* constants; "" means AuthToken.
	Type string
	// MountPoint is the auth method's mount path; "" means Type (the
	// method's default path: approle, userpass, ...).
	MountPoint string

	// Token (token, github) or TokenPath, a file holding it (read, and
	// trimmed, at each login). For token auth, with neither set, New takes
	// the VAULT_TOKEN environment variable.
	Token, TokenPath string
	// RoleID and SecretID (approle; SecretID may be empty for roles
	// without bind_secret_id).
	RoleID, SecretID string
	// Username and Password (userpass, ldap).
	Username, Password string
	// KubernetesRole and KubernetesJWTPath, the service account token
	// file, read at each login (kubernetes).
	KubernetesRole, KubernetesJWTPath string
	// JWTRole and JWT or JWTPath, a file read at each login (jwt).
	JWTRole, JWT, JWTPath string
	// CertRole names the cert auth role to log in against ("" = any role
	// the certificate matches). The certificate itself is the TLS client
	// certificate of the client's configuration (the cert kwarg).
	CertRole string

	// aws_iam (package vaultaws): KeyID and SecretID are static AWS
	// credentials; without them the AWS SDK's default chain is used, first
	// assuming AssumeRole when set. Region signs the request (default
	// us-east-1). RoleID is the Vault role.
	KeyID      string
	Region     string
	AssumeRole *AssumeRole

	// azure (package vaultazure): an access token for AzureResource (the
	// resource Vault's azure method is configured with) from Microsoft
	// Entra tenant AzureTenantID, got with the client secret credential
	// KeyID (client id) and SecretID (client secret), or without them
	// with azidentity's DefaultAzureCredential. RoleID is the Vault role.
	AzureTenantID, AzureResource string

	// gcp (package vaultgcp): GCPRoleType is GCPRoleIAM ("" means it) or
	// GCPRoleGCE. For iam, Google credentials from GCPKeyPath (a JSON key
	// file), GCPKeyfileJSON (a key's JSON) or, with neither, Application
	// Default Credentials, with GCPScopes, have IAM sign a JWT for their
	// service account; for gce, the metadata server gives the instance's
	// identity token. RoleID is the Vault role.
	GCPRoleType    string
	GCPKeyPath     string
	GCPKeyfileJSON string
	GCPScopes      []string

	// radius: Airflow's radius_host, radius_secret and radius_port
	// configure Vault's RADIUS method (Airflow writes them to
	// auth/radius/config instead of logging in). A login needs none of
	// them: they are kept only to say that they are ignored.
	RadiusHost, RadiusSecret string
	RadiusPort               int
}

// mount returns the auth method's mount path; ext is the registered
// AuthMethod of a.Type, or nil.
func (a *Auth) mount(ext *AuthMethod) string {
	if a.MountPoint != "" {
		return strings.Trim(a.MountPoint, "/")
	}
	if ext != nil && ext.Mount != "" {
		return strings.Trim(ext.Mount, "/")
	}
	return a.Type
}

// validate checks a at construction, with Airflow's messages where Airflow
// has one. getenv is os.Getenv (a parameter for tests).
func (a *Auth) validate(getenv func(string) string) error {
	if a.Type == "" {
		a.Type = AuthToken
	}
	req := func(what string) error {
		return fmt.Errorf("%w: %s: the '%s' authentication type requires %s", config.ErrInvalid, Name, a.Type, what)
	}
	switch a.Type {
	case AuthToken:
		if a.Token == "" && a.TokenPath == "" {
			a.Token = getenv("VAULT_TOKEN")
		}
		if a.Token == "" && a.TokenPath == "" {
			return req("'token' or 'token_path' (or VAULT_TOKEN in the environment)")
		}
	case AuthGitHub:
		if a.Token == "" && a.TokenPath == "" {
			return req("'token' or 'token_path'")
		}
	case AuthAppRole:
		if a.RoleID == "" {
			return req("'role_id'")
		}
	case AuthUserpass, AuthLDAP, AuthRadius:
		if a.Username == "" {
			return req("'username'")
		}
		if a.Password == "" {
			return req("'password'")
		}
	case AuthKubernetes:
		if a.KubernetesRole == "" {
			return req("'kubernetes_role'")
		}
		if a.KubernetesJWTPath == "" {
			return req("'kubernetes_jwt_path'")
		}
	case AuthJWT:
		if a.JWTRole == "" {
			return req("'jwt_role'")
		}
		if a.JWT == "" && a.JWTPath == "" {
			return req("'jwt_token' or 'jwt_token_path'")
		}
	case AuthCert:
	default:
		if err := a.validateCloud(req); err != nil {
			return err
		}
		if m, ok := lookupAuthMethod(a.Type); ok {
			if m.Check != nil {
				if err := m.Check(*a); err != nil {
					return err
				}
			}
			break
		}
		if err := notLinked(a.Type); err != nil {
			return err
		}
		return fmt.Errorf("%w: %s: the auth_type is not supported: %q; it should be one of %s", config.ErrInvalid, Name, a.Type, supportedAuth())
	}
	if a.MountPoint != "" && strings.Trim(a.MountPoint, "/") == "" {
		return fmt.Errorf("%w: %s: auth_mount_point must name a path", config.ErrInvalid, Name)
	}
	return nil
}

// validateCloud checks the kwargs of the auth types implemented in their
// own packages (azure, gcp), with Airflow's messages, whether or not the
// package is linked: a configuration names what it lacks either way.
func (a *Auth) validateCloud(req func(string) error) error {
	switch a.Type {
	case AuthAzure:
		// Airflow requires these two; Vault's login needs a role.
		if a.AzureResource == "" {
			return req("'azure_resource'")
		}
		if a.AzureTenantID == "" {
			return req("'azure_tenant_id'")
		}
		if a.RoleID == "" {
			return req("'role_id' (the Vault role to log in as)")
		}
		if (a.KeyID == "") != (a.SecretID == "") {
			return req("'key_id' (the client id) and 'secret_id' (the client secret) together, or neither (DefaultAzureCredential)")
		}
	case AuthGCP:
		switch a.GCPRoleType {
		case "", GCPRoleIAM:
			if len(a.GCPScopes) == 0 {
				return req("'gcp_scopes'")
			}
			if a.GCPKeyPath != "" && a.GCPKeyfileJSON != "" {
				return fmt.Errorf("%w: %s: gcp_key_path and gcp_keyfile_dict are mutually exclusive: give one", config.ErrInvalid, Name)
			}
		case GCPRoleGCE:
			if a.GCPKeyPath != "" || a.GCPKeyfileJSON != "" {
				return fmt.Errorf("%w: %s: gcp_role_type %q logs in with the instance's identity token: gcp_key_path and gcp_keyfile_dict do not apply", config.ErrInvalid, Name, GCPRoleGCE)
			}
		default:
			return fmt.Errorf("%w: %s: gcp_role_type must be %q or %q, not %q", config.ErrInvalid, Name, GCPRoleIAM, GCPRoleGCE, a.GCPRoleType)
		}
		if a.RoleID == "" {
			return req("'role_id'")
		}
	}
	return nil
}

// loginRequest returns the login path and body of a's method; req is what
// a registered AuthMethod (ext, nil for a built-in type) receives. Files
// are read here, at each login, so that a rotated token or JWT file is
// picked up by the next login.
func (a *Auth) loginRequest(ctx context.Context, ext *AuthMethod, req LoginRequest) (path string, body map[string]any, err error) {
	base := "auth/" + a.mount(ext) + "/login"
	if ext != nil {
		body, err := ext.Login(ctx, req)
		return base, body, err
	}
	switch a.Type {
	case AuthAppRole:
		body = map[string]any{"role_id": a.RoleID}
		if a.SecretID != "" {
			body["secret_id"] = a.SecretID
		}
		return base, body, nil
	case AuthUserpass, AuthLDAP:
		return base + "/" + a.Username, map[string]any{"password": a.Password}, nil
	case AuthRadius:
		if a.RadiusHost != "" || a.RadiusSecret != "" || a.RadiusPort != 0 {
			req.Logger.WarnContext(ctx, "vault: radius: radius_host, radius_secret and radius_port configure Vault's RADIUS method on the server; they are ignored (the login sends username and password)")
		}
		return base + "/" + a.Username, map[string]any{"password": a.Password}, nil
	case AuthKubernetes:
		jwt, err := readCredential(a.KubernetesJWTPath, "kubernetes_jwt_path")
		if err != nil {
			return "", nil, err
		}
		return base, map[string]any{"role": a.KubernetesRole, "jwt": jwt}, nil
	case AuthJWT:
		jwt := strings.TrimSpace(a.JWT)
		if jwt == "" {
			if jwt, err = readCredential(a.JWTPath, "jwt_token_path"); err != nil {
				return "", nil, err
			}
		}
		return base, map[string]any{"role": a.JWTRole, "jwt": jwt}, nil
	case AuthGitHub:
		tok, err := a.token()
		if err != nil {
			return "", nil, err
		}
		return base, map[string]any{"token": tok}, nil
	case AuthCert:
		body = map[string]any{}
		if a.CertRole != "" {
			body["name"] = a.CertRole
		}
		return base, body, nil
	}
	return "", nil, fmt.Errorf("%s: auth type %q has no login", Name, a.Type)
}

// token returns Token, or TokenPath's content trimmed.
func (a *Auth) token() (string, error) {
	if a.TokenPath == "" {
		return a.Token, nil
	}
	return readCredential(a.TokenPath, "token_path")
}

// readCredential reads a token or JWT file. The error names the file and
// the kwarg, never the content.
func readCredential(path, kwarg string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("%s: reading %s %q: %w", Name, kwarg, path, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s: %s %q is empty", Name, kwarg, path)
	}
	return s, nil
}

// String describes a without its credentials (token, secret_id, password,
// JWT, AssumeRole's ExternalID and inputs), so that printing Options
// reveals nothing.
func (a Auth) String() string {
	var b strings.Builder
	b.WriteString("vault.Auth{Type: ")
	b.WriteString(a.Type)
	if a.MountPoint != "" {
		b.WriteString(", MountPoint: " + a.MountPoint)
	}
	for _, f := range []struct{ name, v string }{
		{"Token", a.Token}, {"SecretID", a.SecretID}, {"Password", a.Password}, {"JWT", a.JWT}, {"KeyID", a.KeyID},
		{"GCPKeyfileJSON", a.GCPKeyfileJSON}, {"RadiusSecret", a.RadiusSecret},
	} {
		if f.v != "" {
			b.WriteString(", " + f.name + ": ***")
		}
	}
	for _, f := range []struct{ name, v string }{
		{"TokenPath", a.TokenPath}, {"RoleID", a.RoleID}, {"Username", a.Username},
		{"KubernetesRole", a.KubernetesRole}, {"KubernetesJWTPath", a.KubernetesJWTPath},
		{"JWTRole", a.JWTRole}, {"JWTPath", a.JWTPath}, {"CertRole", a.CertRole}, {"Region", a.Region},
		{"AzureTenantID", a.AzureTenantID}, {"AzureResource", a.AzureResource},
		{"GCPRoleType", a.GCPRoleType}, {"GCPKeyPath", a.GCPKeyPath}, {"GCPScopes", strings.Join(a.GCPScopes, ",")},
		{"RadiusHost", a.RadiusHost},
	} {
		if f.v != "" {
			b.WriteString(", " + f.name + ": " + f.v)
		}
	}
	if a.AssumeRole != nil {
		b.WriteString(", AssumeRole: " + a.AssumeRole.String())
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String, so %#v reveals nothing either.
func (a Auth) GoString() string { return a.String() }

// Format prints String for every verb.
func (a Auth) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(a.String())) }

// redact lets a registered AuthMethod (ext) mask its credentials in a
// failed login's error; built-in types' errors are returned as they are.
func (a *Auth) redact(ext *AuthMethod, err error) error {
	if ext == nil || ext.Redact == nil || err == nil {
		return err
	}
	return ext.Redact(*a, err)
}

// MarshalJSON encodes String, so that encoding/json reveals nothing.
func (a Auth) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// LogValue is String, for log/slog.
func (a Auth) LogValue() slog.Value { return slog.StringValue(a.String()) }
