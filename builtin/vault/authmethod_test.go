package vault_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// hookMethod is an AuthMethod registered by this test, as a cloud auth
// package would: its login body is approle's, so the fake can check it.
// fail, when set, is the error its Login returns.
type hookMethod struct {
	mu      sync.Mutex
	reqs    []vault.LoginRequest
	fail    error
	redacts int
}

func (h *hookMethod) login(_ context.Context, req vault.LoginRequest) (map[string]any, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs = append(h.reqs, req)
	if h.fail != nil {
		return nil, h.fail
	}
	return map[string]any{"role_id": req.Auth.RoleID, "secret_id": req.Auth.SecretID}, nil
}

func (h *hookMethod) redact(a vault.Auth, err error) error {
	h.mu.Lock()
	h.redacts++
	h.mu.Unlock()
	return &maskedError{msg: strings.ReplaceAll(err.Error(), a.SecretID, "***"), err: err}
}

type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

var hook = &hookMethod{}

// maskLogin is the login of auth type "masktest" (approle's body, plus a
// number under "n"), registered with MaskBody secret_id, n and absent.
func maskLogin(_ context.Context, req vault.LoginRequest) (map[string]any, error) {
	return map[string]any{"role_id": req.Auth.RoleID, "secret_id": req.Auth.SecretID, "n": 12345}, nil
}

func init() {
	vault.RegisterAuthMethod("hooktest", vault.AuthMethod{Mount: "hook-mount/", Login: hook.login, Redact: hook.redact})
	vault.RegisterAuthMethod("masktest", vault.AuthMethod{Mount: "approle", Login: maskLogin, MaskBody: []string{"secret_id", "n", "absent"}})
}

// TestMaskBody: a registered method's MaskBody values (strings) are
// masked in Vault's refusal of its login when the answer quotes them; the
// error still unwraps to Vault's; other answers and values are untouched.
func TestMaskBody(t *testing.T) {
	const secretID = "mask-secret-id-0123"
	tests := []struct {
		name  string
		fault vaultfake.Fault
		want  string
	}{
		{name: "an answer quoting the body", fault: vaultfake.Fault{Path: "auth/approle/login", Status: 400, Errors: []string{"bad login: "}, QuoteBody: true},
			want: `bad login: {"n":12345,"role_id":"mask-role","secret_id":"***"}`},
		{name: "an answer quoting nothing", fault: vaultfake.Fault{Path: "auth/approle/login", Status: 400, Errors: []string{"invalid secret id"}},
			want: "* invalid secret id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.EnableAuth("", vaultfake.AppRole, vaultfake.TokenOptions{TTL: loginTTL})
			f.AddCredential("approle", "mask-role", secretID)
			f.Fail(tt.fault)
			b := mustOpen(t, map[string]any{"url": f.URL, "auth_type": "masktest", "role_id": "mask-role", "secret_id": secretID})
			_, err := b.Lookup(t.Context(), varReq("hello"))
			require.Error(t, err)
			assert.NotContains(t, err.Error(), secretID)
			assert.Contains(t, err.Error(), tt.want)
			var re *api.ResponseError
			require.ErrorAs(t, err, &re, "unwraps to Vault's answer")
			assert.Equal(t, 400, re.StatusCode)
		})
	}
}

// TestRegisteredAuthMethod: an auth type registered with RegisterAuthMethod
// logs in at its default mount with the body its Login returns; Login gets
// the Auth decoded from the kwargs, the login client (no token) and the
// factory's logger (resolver.Env.Logger); its errors and Vault's refusals go
// through its Redact.
func TestRegisteredAuthMethod(t *testing.T) {
	const secretID = "hook-secret-id-0123"
	f := newFake(t)
	f.Put("secret", "variables/hello", map[string]any{"value": "world"})
	f.EnableAuth("hook-mount", vaultfake.AppRole, vaultfake.TokenOptions{TTL: loginTTL})
	f.AddCredential("hook-mount", "hook-role", secretID)
	logger := slog.New(slog.DiscardHandler)
	open := func(t *testing.T, kw map[string]any) *vault.Backend {
		t.Helper()
		raw, err := json.Marshal(kw)
		require.NoError(t, err)
		kwargs, err := config.ParseKwargs(raw)
		require.NoError(t, err)
		b, err := resolver.OpenBackend(t.Context(), vault.Name, resolver.Env{Kwargs: kwargs, Logger: logger})
		require.NoError(t, err)
		vb, ok := b.(*vault.Backend)
		require.True(t, ok, "%T", b)
		t.Cleanup(func() { _ = vb.Close() })
		return vb
	}
	reset := func(fail error) {
		hook.mu.Lock()
		hook.reqs, hook.fail, hook.redacts = nil, fail, 0
		hook.mu.Unlock()
		f.ResetRequests()
	}

	t.Run("login", func(t *testing.T) {
		reset(nil)
		b := open(t, map[string]any{"url": f.URL, "auth_type": "hooktest", "role_id": "hook-role", "secret_id": secretID})
		v, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		assert.Equal(t, "world", v)
		reqs := f.Requests()
		require.NotEmpty(t, reqs)
		assert.Equal(t, "auth/hook-mount/login", reqs[0].Path)
		hook.mu.Lock()
		defer hook.mu.Unlock()
		require.Len(t, hook.reqs, 1)
		r := hook.reqs[0]
		assert.Equal(t, "hooktest", r.Auth.Type)
		assert.Equal(t, "hook-role", r.Auth.RoleID)
		require.NotNil(t, r.Client)
		assert.Empty(t, r.Client.Token(), "the login client carries no token")
		assert.Same(t, logger, r.Logger)
		assert.Zero(t, hook.redacts)
	})
	t.Run("auth_mount_point wins", func(t *testing.T) {
		reset(nil)
		b := open(t, map[string]any{"url": f.URL, "auth_type": "hooktest", "auth_mount_point": "elsewhere", "role_id": "hook-role"})
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.Error(t, err)
		assert.Equal(t, "auth/elsewhere/login", f.Requests()[0].Path)
	})
	t.Run("Login's error is redacted", func(t *testing.T) {
		cause := errors.New("cloud said no to " + secretID)
		reset(cause)
		b := open(t, map[string]any{"url": f.URL, "auth_type": "hooktest", "role_id": "hook-role", "secret_id": secretID})
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.Error(t, err)
		assert.ErrorIs(t, err, cause)
		assert.NotContains(t, err.Error(), secretID)
		assert.Contains(t, err.Error(), "cloud said no to ***")
		assert.Equal(t, 1, hook.redacts)
		assert.Empty(t, f.Requests(), "no login request after Login failed")
	})
	t.Run("Vault's refusal is redacted", func(t *testing.T) {
		reset(nil)
		b := open(t, map[string]any{"url": f.URL, "auth_type": "hooktest", "role_id": "hook-role", "secret_id": "wrong-" + secretID})
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "invalid secret id")
		assert.Equal(t, 1, hook.redacts)
	})
	t.Run("built by New", func(t *testing.T) {
		reset(nil)
		b, err := vault.New(vault.Options{Address: f.URL, Auth: vault.Auth{Type: "hooktest", RoleID: "hook-role", SecretID: secretID}})
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close() })
		v, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		assert.Equal(t, "world", v)
		hook.mu.Lock()
		defer hook.mu.Unlock()
		require.Len(t, hook.reqs, 1)
		assert.NotNil(t, hook.reqs[0].Logger, "a logger even without a constructor context")
	})
}

// TestRegisterAuthMethodRefusals: a built-in or taken auth type, an empty
// one or a method without Login is a programming error.
func TestRegisterAuthMethodRefusals(t *testing.T) {
	login := func(context.Context, vault.LoginRequest) (map[string]any, error) { return nil, nil }
	for _, tt := range []struct {
		name, typ string
		m         vault.AuthMethod
		want      string
	}{
		{name: "built-in", typ: vault.AuthAppRole, m: vault.AuthMethod{Login: login}, want: "a built-in auth type"},
		{name: "registered twice", typ: "hooktest", m: vault.AuthMethod{Login: login}, want: "registered twice"},
		{name: "no type", typ: "", m: vault.AuthMethod{Login: login}, want: "the auth type and Login are required"},
		{name: "no Login", typ: "hooktest-nologin", want: "the auth type and Login are required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.PanicsWithValue(t, `vault: RegisterAuthMethod("`+tt.typ+`"): `+tt.want, func() { vault.RegisterAuthMethod(tt.typ, tt.m) })
		})
	}
}

// TestAWSIAMNotLinked: built by New too, aws_iam without vaultaws is a
// configuration error that names the import, and the list of supported
// types for an unknown one does not offer it.
func TestAWSIAMNotLinked(t *testing.T) {
	_, err := vault.New(vault.Options{Address: "http://127.0.0.1:1", Auth: vault.Auth{Type: vault.AuthAWSIAM, KeyID: "AKIAIOSFODNN7EXAMPLE", SecretID: "not-printed-secret"}})
	require.Error(t, err)
	assert.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "vault auth_type aws_iam needs package github.com/secretpath/secretpath/builtin/vault/vaultaws linked: import it")
	assert.Contains(t, err.Error(), "unless built with tag secretpath_no_aws or secretpath_no_vault")
	assert.NotContains(t, err.Error(), "not-printed-secret")

	_, err = vault.New(vault.Options{Address: "http://127.0.0.1:1", Auth: vault.Auth{Type: "kerberos"}})
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "hooktest", "registered types are listed")
	assert.NotContains(t, err.Error(), "aws_iam")
}

// TestCloudAuthNotLinked: built by New, azure and gcp without their
// packages are configuration errors naming the import and the build tag
// that leaves it out, quoting no credential; an unknown type's list of
// supported types offers neither, and offers radius (built in).
func TestCloudAuthNotLinked(t *testing.T) {
	for _, tt := range []struct {
		auth     vault.Auth
		pkg, tag string
	}{
		{auth: vault.Auth{Type: vault.AuthAzure, AzureTenantID: "t", AzureResource: "r", RoleID: "r", KeyID: "c", SecretID: "not-printed-secret"},
			pkg: "vaultazure", tag: "secretpath_no_azure"},
		{auth: vault.Auth{Type: vault.AuthGCP, RoleID: "r", GCPScopes: []string{"s"}, GCPKeyfileJSON: `{"private_key":"not-printed-secret"}`},
			pkg: "vaultgcp", tag: "secretpath_no_gcp"},
	} {
		t.Run(tt.auth.Type, func(t *testing.T) {
			_, err := vault.New(vault.Options{Address: "http://127.0.0.1:1", Auth: tt.auth})
			require.Error(t, err)
			assert.ErrorIs(t, err, config.ErrInvalid)
			assert.Contains(t, err.Error(), "vault auth_type "+tt.auth.Type+" needs package github.com/secretpath/secretpath/builtin/vault/"+tt.pkg+" linked: import it")
			assert.Contains(t, err.Error(), "unless built with tag "+tt.tag+" or secretpath_no_vault")
			assert.NotContains(t, err.Error(), "not-printed-secret")
		})
	}
	_, err := vault.New(vault.Options{Address: "http://127.0.0.1:1", Auth: vault.Auth{Type: "kerberos"}})
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "radius")
	assert.NotContains(t, err.Error(), "azure")
	assert.NotContains(t, err.Error(), "gcp")
}
