package vault

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/vault/api"

	"github.com/secretpath/secretpath/resolver/config"
)

// AuthMethod is an auth method implemented in a package of its own because
// its login needs a cloud SDK this package does not link: aws_iam lives in
// github.com/secretpath/secretpath/builtin/vault/vaultaws, azure in
// .../vaultazure and gcp in .../vaultgcp. Such a package
// registers it with RegisterAuthMethod in its init function; without it, a
// backend asking for the auth type is a configuration error that names
// the import to add.
type AuthMethod struct {
	// Mount is the method's default mount path, used when
	// auth_mount_point is not set; "" means the auth type's name.
	Mount string
	// Login returns the body of the login request, POST
	// auth/<mount>/login. It is called at each login (not at
	// construction), so that rotated credentials are picked up. Its
	// errors reach the lookup as they are (after Redact), so they should
	// name the backend and the method ("vault: aws_iam: ..."). Required.
	Login func(ctx context.Context, req LoginRequest) (map[string]any, error)
	// Check, when not nil, checks the method's kwargs (a) when a backend
	// is built, after this package's own checks, so that a bad value is a
	// configuration error rather than a failed login. Its errors should
	// wrap config.ErrInvalid and name the kwarg, never a credential.
	Check func(a Auth) error
	// Redact, when not nil, rewrites the error of a failed login (Login's,
	// or Vault's answer to the request) so that it quotes none of a's
	// credentials. The result should unwrap to err.
	Redact func(a Auth, err error) error
	// MaskBody names the keys of Login's body whose values are
	// credentials (an access token, a signed JWT): when Vault refuses the
	// login, each such value (a string) is replaced by "***" in the
	// error's text, before Redact, so that an answer quoting the request
	// reveals none of them. The error still unwraps to Vault's.
	MaskBody []string
}

// maskBody masks in err, a failed login's error, the values of body that
// ext.MaskBody names (see AuthMethod.MaskBody).
func maskBody(ext *AuthMethod, body map[string]any, err error) error {
	if ext == nil || len(ext.MaskBody) == 0 || err == nil {
		return err
	}
	msg := err.Error()
	for _, k := range ext.MaskBody {
		if v, ok := body[k].(string); ok && v != "" {
			msg = strings.ReplaceAll(msg, v, "***")
		}
	}
	if msg == err.Error() {
		return err
	}
	return &maskedError{msg: msg, err: err}
}

// maskedError is an error with credentials masked in its text; it unwraps
// to the original.
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

// LoginRequest is what an AuthMethod's Login receives.
type LoginRequest struct {
	// Auth is the backend's authentication settings (Options.Auth,
	// decoded from backend_kwargs by a config file).
	Auth Auth
	// Client is the Vault client logins are sent with (no token set). A
	// method may read from it (its address, its HTTP client) but must not
	// change it.
	Client *api.Client
	// Logger is the backend's logger (Options.Logger; the factory's
	// resolver.Env.Logger for a backend a config file opened), for what
	// the method wants to say about its login (where its credentials came
	// from, say). Never nil. Records must hold no credential.
	Logger *slog.Logger
}

// authMethods holds the registered AuthMethods by auth type.
var authMethods struct {
	sync.RWMutex
	m map[string]AuthMethod
}

// authPackages names the package implementing each auth type this
// package knows of but does not implement, and the build tag that leaves
// it out of the root package and the secretpath command, for the error
// when it is not linked.
var authPackages = map[string]struct{ pkg, tag string }{
	AuthAWSIAM: {"github.com/secretpath/secretpath/builtin/vault/vaultaws", "secretpath_no_aws"},
	AuthAzure:  {"github.com/secretpath/secretpath/builtin/vault/vaultazure", "secretpath_no_azure"},
	AuthGCP:    {"github.com/secretpath/secretpath/builtin/vault/vaultgcp", "secretpath_no_gcp"},
}

// builtinAuth are the auth types this package implements itself.
var builtinAuth = []string{AuthAppRole, AuthCert, AuthGitHub, AuthJWT, AuthKubernetes, AuthLDAP, AuthRadius, AuthToken, AuthUserpass}

// RegisterAuthMethod makes auth type authType available to every Vault
// backend, implemented by m. It is meant for the init function of the
// package implementing the method, and panics when authType is empty or
// already taken (by this package or an earlier registration), or m has no
// Login.
func RegisterAuthMethod(authType string, m AuthMethod) {
	if authType == "" || m.Login == nil {
		panic(fmt.Sprintf("%s: RegisterAuthMethod(%q): the auth type and Login are required", Name, authType))
	}
	for _, b := range builtinAuth {
		if b == authType {
			panic(fmt.Sprintf("%s: RegisterAuthMethod(%q): a built-in auth type", Name, authType))
		}
	}
	authMethods.Lock()
	defer authMethods.Unlock()
	if _, dup := authMethods.m[authType]; dup {
		panic(fmt.Sprintf("%s: RegisterAuthMethod(%q): registered twice", Name, authType))
	}
	if authMethods.m == nil {
		authMethods.m = map[string]AuthMethod{}
	}
	authMethods.m[authType] = m
}

// lookupAuthMethod returns the AuthMethod registered for authType.
func lookupAuthMethod(authType string) (*AuthMethod, bool) {
	authMethods.RLock()
	defer authMethods.RUnlock()
	m, ok := authMethods.m[authType]
	return &m, ok
}

// notLinked is the error for an auth type whose package is known but not
// linked, or nil.
func notLinked(authType string) error {
	if p, ok := authPackages[authType]; ok {
		return fmt.Errorf("%w: %s auth_type %s needs package %s linked: import it (the root package github.com/secretpath/secretpath and the secretpath command link it unless built with tag %s or secretpath_no_vault)",
			config.ErrInvalid, Name, authType, p.pkg, p.tag)
	}
	return nil
}

// supportedAuth lists the auth types this program implements (built in and
// registered), for errors.
func supportedAuth() string {
	types := append([]string(nil), builtinAuth...)
	authMethods.RLock()
	for t := range authMethods.m {
		types = append(types, t)
	}
	authMethods.RUnlock()
	sort.Strings(types)
	return strings.Join(types, ", ")
}
