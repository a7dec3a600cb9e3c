package vault_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

const loginTTL = time.Hour

// TestAuthMethods: each auth type logs in at its endpoint with its body,
// sends no token with the login, and reads with the token it got.
func TestAuthMethods(t *testing.T) {
	dir := t.TempDir()
	writeSecretFile := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	k8sJWT := writeSecretFile("k8s.jwt", "eyJrOHMiOiJ0b2tlbiJ9.payload.sig\n")
	jwtFile := writeSecretFile("app.jwt", "  eyJqd3QiOiJmaWxlIn0.payload.sig  ")
	ghFile := writeSecretFile("gh", "ghp_fromfile\n")

	tests := []struct {
		name      string
		typ       string // the fake's method type
		mount     string // the fake's mount ("" = typ)
		cred      [2]string
		kw        map[string]any
		wantPath  string
		wantBody  map[string]any
		forbidden []string // credentials that must not appear in errors or logs
	}{
		{name: "approle", typ: vaultfake.AppRole, cred: [2]string{"role-1", "secret-1"},
			kw:       map[string]any{"auth_type": "approle", "role_id": "role-1", "secret_id": "secret-1"},
			wantPath: "auth/approle/login", wantBody: map[string]any{"role_id": "role-1", "secret_id": "secret-1"}},
		{name: "approle without secret_id", typ: vaultfake.AppRole, cred: [2]string{"role-2", ""},
			kw:       map[string]any{"auth_type": "approle", "role_id": "role-2"},
			wantPath: "auth/approle/login", wantBody: map[string]any{"role_id": "role-2"}},
		{name: "approle at its own mount", typ: vaultfake.AppRole, mount: "apps/prod", cred: [2]string{"role-3", "secret-3"},
			kw:       map[string]any{"auth_type": "approle", "role_id": "role-3", "secret_id": "secret-3", "auth_mount_point": "/apps/prod/"},
			wantPath: "auth/apps/prod/login", wantBody: map[string]any{"role_id": "role-3", "secret_id": "secret-3"}},
		{name: "userpass", typ: vaultfake.Userpass, cred: [2]string{"alice", "pw-alice"},
			kw:       map[string]any{"auth_type": "userpass", "username": "alice", "password": "pw-alice"},
			wantPath: "auth/userpass/login/alice", wantBody: map[string]any{"password": "pw-alice"}},
		{name: "ldap", typ: vaultfake.LDAP, cred: [2]string{"bob", "pw-bob"},
			kw:       map[string]any{"auth_type": "ldap", "username": "bob", "password": "pw-bob"},
			wantPath: "auth/ldap/login/bob", wantBody: map[string]any{"password": "pw-bob"}},
		{name: "kubernetes", typ: vaultfake.Kubernetes, cred: [2]string{"airflow", "eyJrOHMiOiJ0b2tlbiJ9.payload.sig"},
			kw:       map[string]any{"auth_type": "kubernetes", "kubernetes_role": "airflow", "kubernetes_jwt_path": k8sJWT},
			wantPath: "auth/kubernetes/login", wantBody: map[string]any{"role": "airflow", "jwt": "eyJrOHMiOiJ0b2tlbiJ9.payload.sig"}},
		{name: "jwt inline", typ: vaultfake.JWT, cred: [2]string{"ci", "eyJqd3QiOiJpbmxpbmUifQ.p.s"},
			kw:       map[string]any{"auth_type": "jwt", "jwt_role": "ci", "jwt_token": "eyJqd3QiOiJpbmxpbmUifQ.p.s"},
			wantPath: "auth/jwt/login", wantBody: map[string]any{"role": "ci", "jwt": "eyJqd3QiOiJpbmxpbmUifQ.p.s"}},
		{name: "jwt from a file", typ: vaultfake.JWT, cred: [2]string{"ci", "eyJqd3QiOiJmaWxlIn0.payload.sig"},
			kw:       map[string]any{"auth_type": "jwt", "jwt_role": "ci", "jwt_token_path": jwtFile},
			wantPath: "auth/jwt/login", wantBody: map[string]any{"role": "ci", "jwt": "eyJqd3QiOiJmaWxlIn0.payload.sig"}},
		{name: "github", typ: vaultfake.GitHub, cred: [2]string{"ghp_inline", ""},
			kw:       map[string]any{"auth_type": "github", "token": "ghp_inline"},
			wantPath: "auth/github/login", wantBody: map[string]any{"token": "ghp_inline"}},
		{name: "radius", typ: vaultfake.Radius, cred: [2]string{"carol", "pw-carol"},
			kw:       map[string]any{"auth_type": "radius", "username": "carol", "password": "pw-carol"},
			wantPath: "auth/radius/login/carol", wantBody: map[string]any{"password": "pw-carol"}},
		{name: "radius at its own mount, Airflow's server kwargs ignored", typ: vaultfake.Radius, mount: "corp-radius", cred: [2]string{"dave", "pw-dave"},
			kw: map[string]any{"auth_type": "radius", "username": "dave", "password": "pw-dave", "auth_mount_point": "corp-radius",
				"radius_host": "radius.example.com", "radius_secret": "shared-radius-key", "radius_port": 1812},
			wantPath: "auth/corp-radius/login/dave", wantBody: map[string]any{"password": "pw-dave"}},
		{name: "github token_path", typ: vaultfake.GitHub, cred: [2]string{"ghp_fromfile", ""},
			kw:       map[string]any{"auth_type": "github", "token_path": ghFile},
			wantPath: "auth/github/login", wantBody: map[string]any{"token": "ghp_fromfile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.Put("secret", "variables/hello", map[string]any{"value": "world"})
			f.EnableAuth(tt.mount, tt.typ, vaultfake.TokenOptions{TTL: loginTTL, Renewable: true})
			mount := tt.mount
			if mount == "" {
				mount = tt.typ
			}
			f.AddCredential(mount, tt.cred[0], tt.cred[1])
			kw := map[string]any{"url": f.URL}
			for k, v := range tt.kw {
				kw[k] = v
			}
			b := mustOpen(t, kw)
			assert.Empty(t, f.Requests(), "authentication is lazy")
			for range 3 {
				v, err := b.Lookup(t.Context(), varReq("hello"))
				require.NoError(t, err)
				assert.Equal(t, "world", v)
			}
			// The token's watcher renews it in the background (at once, then
			// before it expires): leave those requests out.
			var reqs []vaultfake.Request
			for _, r := range f.Requests() {
				if r.Path != "auth/token/renew-self" {
					reqs = append(reqs, r)
				}
			}
			require.Len(t, reqs, 4, "one login, then three reads")
			login := reqs[0]
			assert.Equal(t, tt.wantPath, login.Path)
			assert.Contains(t, []string{"PUT", "POST"}, login.Method)
			assert.Empty(t, login.Token, "a login carries no token")
			var body map[string]any
			require.NoError(t, json.Unmarshal(login.Body, &body))
			assert.Equal(t, tt.wantBody, body)
			tokens := f.LoginTokens()
			require.Len(t, tokens, 1)
			for _, r := range reqs[1:] {
				assert.Equal(t, "secret/data/variables/hello", r.Path)
				assert.Equal(t, tokens[0], r.Token)
			}
			require.NoError(t, b.Close())
			assert.True(t, f.Revoked(tokens[0]), "Close revokes the token our login created")
		})
	}
}

// TestCertAuth: the cert method logs in over TLS with the client
// certificate the cert kwarg names, trusting the server through verify.
func TestCertAuth(t *testing.T) {
	vaultfake.Isolate(t)
	f := vaultfake.NewTLS(t)
	f.Mount("secret", 2)
	f.Put("secret", "connections/db", map[string]any{"conn_uri": "postgres://u:p@db/prod"})
	f.EnableAuth("", vaultfake.Cert, vaultfake.TokenOptions{TTL: loginTTL})
	cert := vaultfake.NewClientCert(t, "airflow")
	f.AddCredential("cert", vaultfake.CertFingerprint(cert.DER), "airflow-role")
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	certFile, keyFile, both := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem"), filepath.Join(dir, "both.pem")
	require.NoError(t, os.WriteFile(ca, f.CACertPEM(), 0o600))
	require.NoError(t, os.WriteFile(certFile, cert.CertPEM, 0o600))
	require.NoError(t, os.WriteFile(keyFile, cert.KeyPEM, 0o600))
	require.NoError(t, os.WriteFile(both, append(append([]byte{}, cert.CertPEM...), cert.KeyPEM...), 0o600))

	for _, tt := range []struct {
		name string
		kw   map[string]any
	}{
		{name: "cert and key files", kw: map[string]any{"cert": []any{certFile, keyFile}, "cert_role": "airflow-role"}},
		{name: "one PEM file", kw: map[string]any{"cert": both}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kw := map[string]any{"url": f.URL, "auth_type": "cert", "verify": ca}
			for k, v := range tt.kw {
				kw[k] = v
			}
			b := mustOpen(t, kw)
			c, err := b.Connection(t.Context(), connReq("db"))
			require.NoError(t, err)
			assert.Equal(t, "db", c.Host)
		})
	}
	t.Run("without a client certificate", func(t *testing.T) {
		b := mustOpen(t, map[string]any{"url": f.URL, "auth_type": "cert", "verify": ca})
		_, err := b.Connection(t.Context(), connReq("db"))
		require.Error(t, err)
		assert.NotErrorIs(t, err, resolver.ErrNotFound)
		assert.Contains(t, err.Error(), "client certificate must be supplied")
	})
	t.Run("untrusted server", func(t *testing.T) {
		b := mustOpen(t, map[string]any{"url": f.URL, "auth_type": "cert", "cert": both})
		_, err := b.Connection(t.Context(), connReq("db"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "certificate")
	})
	t.Run("verify false", func(t *testing.T) {
		b := mustOpen(t, map[string]any{"url": f.URL, "auth_type": "cert", "cert": both, "verify": false})
		_, err := b.Connection(t.Context(), connReq("db"))
		require.NoError(t, err)
	})
}

// TestLoginFailures: a refused login is an error that names the method and
// Vault's message, never the credential; 403 is permission denied.
func TestLoginFailures(t *testing.T) {
	dir := t.TempDir()
	badJWT := filepath.Join(dir, "bad.jwt")
	require.NoError(t, os.WriteFile(badJWT, []byte("not-the-right-jwt-XYZ"), 0o600))
	tests := []struct {
		name       string
		kw         map[string]any
		wantMsg    string
		denied     bool
		forbidden  string
		wantLogins int
	}{
		{name: "wrong secret_id", kw: map[string]any{"auth_type": "approle", "role_id": "role", "secret_id": "wrong-SECRET-id"},
			wantMsg: "invalid secret id", forbidden: "wrong-SECRET-id", wantLogins: 1},
		{name: "wrong password", kw: map[string]any{"auth_type": "userpass", "username": "alice", "password": "wrong-PASSWORD"},
			wantMsg: "invalid username or password", forbidden: "wrong-PASSWORD", wantLogins: 1},
		{name: "wrong radius password", kw: map[string]any{"auth_type": "radius", "username": "carol", "password": "wrong-RADIUS-pw"},
			wantMsg: "invalid username or password", forbidden: "wrong-RADIUS-pw", wantLogins: 1},
		{name: "refused JWT", kw: map[string]any{"auth_type": "kubernetes", "kubernetes_role": "airflow", "kubernetes_jwt_path": badJWT},
			wantMsg: "permission denied", denied: true, forbidden: "not-the-right-jwt-XYZ", wantLogins: 1},
		{name: "missing JWT file", kw: map[string]any{"auth_type": "kubernetes", "kubernetes_role": "airflow", "kubernetes_jwt_path": filepath.Join(dir, "none")},
			wantMsg: `reading kubernetes_jwt_path "` + filepath.Join(dir, "none") + `": no such file`, wantLogins: 0},
		{name: "bad token", kw: map[string]any{"token": "hvs.not-a-TOKEN"},
			wantMsg: "token lookup-self", denied: true, forbidden: "hvs.not-a-TOKEN", wantLogins: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.EnableAuth("", vaultfake.AppRole, vaultfake.TokenOptions{})
			f.AddCredential("approle", "role", "right")
			f.EnableAuth("", vaultfake.Userpass, vaultfake.TokenOptions{})
			f.AddCredential("userpass", "alice", "right")
			f.EnableAuth("", vaultfake.Kubernetes, vaultfake.TokenOptions{})
			f.AddCredential("kubernetes", "airflow", "the-jwt")
			f.EnableAuth("", vaultfake.Radius, vaultfake.TokenOptions{})
			f.AddCredential("radius", "carol", "right")
			kw := map[string]any{"url": f.URL}
			for k, v := range tt.kw {
				kw[k] = v
			}
			b := mustOpen(t, kw)
			r := resolver.New(resolver.WithBackend(vault.Name, b))
			_, err := b.Lookup(t.Context(), varReq("hello"))
			require.Error(t, err)
			assert.NotErrorIs(t, err, resolver.ErrNotFound)
			assert.Contains(t, err.Error(), tt.wantMsg)
			assert.Equal(t, tt.denied, errors.Is(err, resolver.ErrPermissionDenied), "permission denied: %v", err)
			if tt.forbidden != "" {
				assert.NotContains(t, err.Error(), tt.forbidden)
			}
			assert.Equal(t, tt.wantLogins, f.Count("auth/*")-f.Count("auth/token/*"))
			assert.Empty(t, f.reads(), "no read without a token")

			_, err = r.Variable(t.Context(), "hello")
			var nf *resolver.NotFoundError
			require.ErrorAs(t, err, &nf, "the resolver falls through")
			require.Len(t, nf.Errs, 1)
		})
	}
}

// TestAuthenticateOnce: concurrent first lookups share one login.
func TestAuthenticateOnce(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "variables/hello", map[string]any{"value": "world"})
	f.EnableAuth("", vaultfake.AppRole, vaultfake.TokenOptions{TTL: loginTTL, Renewable: true})
	f.AddCredential("approle", "role", "secret")
	b := mustOpen(t, f.kwargs(map[string]any{"auth_type": "approle", "role_id": "role", "secret_id": "secret", "token": nil}))
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			v, err := b.Lookup(t.Context(), varReq("hello"))
			assert.NoError(t, err)
			assert.Equal(t, "world", v)
		})
	}
	wg.Wait()
	assert.Equal(t, 1, f.Count("auth/approle/login"))
	assert.Equal(t, 32, f.Count("secret/data/variables/hello"))
}

// TestReauthentication: a token revoked (or expired) behind the backend's
// back is replaced by a new login at the next lookup, which succeeds; the
// revoked token is not used again.
func TestReauthentication(t *testing.T) {
	for _, tt := range []struct {
		typ  string
		kw   map[string]any
		cred [2]string
	}{
		{typ: vaultfake.AppRole, kw: map[string]any{"auth_type": "approle", "role_id": "role", "secret_id": "secret"}, cred: [2]string{"role", "secret"}},
		{typ: vaultfake.Userpass, kw: map[string]any{"auth_type": "userpass", "username": "u", "password": "p"}, cred: [2]string{"u", "p"}},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			f := newFake(t)
			f.Put("secret", "connections/db", map[string]any{"conn_uri": "postgres://db"})
			f.EnableAuth("", tt.typ, vaultfake.TokenOptions{TTL: loginTTL, Renewable: true})
			f.AddCredential(tt.typ, tt.cred[0], tt.cred[1])
			kw := map[string]any{"url": f.URL}
			for k, v := range tt.kw {
				kw[k] = v
			}
			b := mustOpen(t, kw)
			_, err := b.Connection(t.Context(), connReq("db"))
			require.NoError(t, err)
			require.Equal(t, 1, f.RevokeLoginTokens())

			c, err := b.Connection(t.Context(), connReq("db"))
			require.NoError(t, err, "the backend logs in again")
			assert.Equal(t, "db", c.Host)
			tokens := f.LoginTokens()
			require.Len(t, tokens, 2)
			reads := []vaultfake.Request{}
			for _, r := range f.Requests() {
				if r.Path == "secret/data/connections/db" {
					reads = append(reads, r)
				}
			}
			require.Len(t, reads, 3, "read, refused read, retried read")
			assert.Equal(t, tokens[0], reads[1].Token)
			assert.Equal(t, tokens[1], reads[2].Token)

			_, err = b.Connection(t.Context(), connReq("db"))
			require.NoError(t, err)
			assert.Len(t, f.LoginTokens(), 2, "no login while the new token works")
		})
	}
}

// TestPermissionDenied: a 403 that survives a new login matches
// resolver.ErrPermissionDenied; the backend logs in once more, not in a
// loop, and the resolver stops there when fail-closed.
func TestPermissionDenied(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "connections/db", map[string]any{"conn_uri": "postgres://db"})
	f.Put("secret", "connections/other", map[string]any{"conn_uri": "postgres://other"})
	f.EnableAuth("", vaultfake.AppRole, vaultfake.TokenOptions{TTL: loginTTL, Paths: []string{"secret/data/connections/other"}})
	f.AddCredential("approle", "role", "secret")
	b := mustOpen(t, map[string]any{"url": f.URL, "auth_type": "approle", "role_id": "role", "secret_id": "secret"})

	_, err := b.Connection(t.Context(), connReq("db"))
	require.ErrorIs(t, err, resolver.ErrPermissionDenied)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.Contains(t, err.Error(), `"secret/data/connections/db"`)
	assert.Contains(t, err.Error(), "permission denied")
	assert.Equal(t, 2, f.Count("auth/approle/login"), "one login, one re-login")
	for _, tok := range f.LoginTokens() {
		assert.NotContains(t, err.Error(), tok)
	}

	_, err = b.Connection(t.Context(), connReq("other"))
	require.NoError(t, err, "other paths still work")

	t.Setenv("AIRFLOW_CONN_DB", "mysql://from-env")
	r := resolver.New(resolver.WithBackend(vault.Name, b), resolver.WithFailClosed())
	_, err = r.Connection(t.Context(), "db")
	assert.ErrorIs(t, err, resolver.ErrPermissionDenied, "fail-closed stops at the denial")
}

// TestTokenAuth: token auth checks the token with lookup-self once; a
// refused token cannot be replaced unless token_path has a new one.
func TestTokenAuth(t *testing.T) {
	t.Run("inline token refused later", func(t *testing.T) {
		f := newFake(t)
		f.Put("secret", "variables/hello", map[string]any{"value": "world"})
		tok := f.CreateToken(vaultfake.TokenOptions{})
		b := mustOpen(t, map[string]any{"url": f.URL, "token": tok})
		for range 2 {
			_, err := b.Lookup(t.Context(), varReq("hello"))
			require.NoError(t, err)
		}
		assert.Equal(t, 1, f.Count("auth/token/lookup-self"))
		f.RevokeToken(tok)
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.ErrorIs(t, err, resolver.ErrPermissionDenied)
		assert.NotContains(t, err.Error(), tok)
		require.NoError(t, b.Close())
		assert.Equal(t, 0, f.Count("auth/token/revoke-self"), "a token we were given is never revoked")
	})
	t.Run("token_path re-read after a refusal", func(t *testing.T) {
		f := newFake(t)
		f.Put("secret", "variables/hello", map[string]any{"value": "world"})
		first, second := f.CreateToken(vaultfake.TokenOptions{}), f.CreateToken(vaultfake.TokenOptions{})
		path := filepath.Join(t.TempDir(), "token")
		require.NoError(t, os.WriteFile(path, []byte(first+"\n"), 0o600))
		b := mustOpen(t, map[string]any{"url": f.URL, "token_path": path})
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		f.RevokeToken(first)

		_, err = b.Lookup(t.Context(), varReq("hello"))
		require.ErrorIs(t, err, resolver.ErrPermissionDenied, "the file still holds the refused token")

		require.NoError(t, os.WriteFile(path, []byte(second+"\n"), 0o600)) // an agent rewrote it
		v, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		assert.Equal(t, "world", v)
		reqs := f.Requests()
		assert.Equal(t, second, reqs[len(reqs)-1].Token)
	})
}

// TestRenewal: a renewable token with a TTL is renewed in the background
// (the api's LifetimeWatcher); a token that cannot be renewed is replaced by
// a new login before it expires. Waits are bounded by generous deadlines,
// not asserted.
func TestRenewal(t *testing.T) {
	t.Run("login token renewed", func(t *testing.T) {
		f := newFake(t)
		f.Put("secret", "variables/hello", map[string]any{"value": "world"})
		f.EnableAuth("", vaultfake.AppRole, vaultfake.TokenOptions{TTL: 2 * time.Second, Renewable: true})
		f.AddCredential("approle", "role", "")
		b := mustOpen(t, map[string]any{"url": f.URL, "auth_type": "approle", "role_id": "role"})
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		tok := f.LoginTokens()[0]
		require.Eventually(t, func() bool { return f.Renewals(tok) >= 2 }, time.Minute, 50*time.Millisecond)
		for _, r := range f.Requests() {
			if r.Path == "auth/token/renew-self" {
				assert.Equal(t, tok, r.Token)
			}
		}
		_, err = b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		assert.Len(t, f.LoginTokens(), 1, "a renewed token needs no new login")
	})
	t.Run("given token renewed", func(t *testing.T) {
		f := newFake(t)
		f.Put("secret", "variables/hello", map[string]any{"value": "world"})
		tok := f.CreateToken(vaultfake.TokenOptions{TTL: 2 * time.Second, Renewable: true})
		b := mustOpen(t, map[string]any{"url": f.URL, "token": tok})
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return f.Renewals(tok) >= 1 }, time.Minute, 50*time.Millisecond)
	})
	t.Run("non-renewable login token replaced before it expires", func(t *testing.T) {
		f := newFake(t)
		f.Put("secret", "variables/hello", map[string]any{"value": "world"})
		// The TTL is reported but not enforced: a new login can only come
		// from the watcher, never from a 403.
		f.EnableAuth("", vaultfake.AppRole, vaultfake.TokenOptions{TTL: 2 * time.Second, Unenforced: true})
		f.AddCredential("approle", "role", "")
		b := mustOpen(t, map[string]any{"url": f.URL, "auth_type": "approle", "role_id": "role"})
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			_, err := b.Lookup(t.Context(), varReq("hello"))
			require.NoError(t, err)
			return len(f.LoginTokens()) >= 2
		}, time.Minute, 100*time.Millisecond)
		assert.Zero(t, f.Count("auth/token/renew-self"), "a non-renewable token is not renewed")
	})
}

// TestClose: Close revokes the login's token once, stops renewing, and
// later lookups fail without a request.
func TestClose(t *testing.T) {
	f := newFake(t)
	f.Put("secret", "variables/hello", map[string]any{"value": "world"})
	f.EnableAuth("", vaultfake.AppRole, vaultfake.TokenOptions{TTL: loginTTL, Renewable: true})
	f.AddCredential("approle", "role", "")
	b := mustOpen(t, map[string]any{"url": f.URL, "auth_type": "approle", "role_id": "role"})
	require.NoError(t, b.Close(), "closing before any lookup")
	assert.Empty(t, f.Requests())

	b = mustOpen(t, map[string]any{"url": f.URL, "auth_type": "approle", "role_id": "role"})
	_, err := b.Lookup(t.Context(), varReq("hello"))
	require.NoError(t, err)
	require.NoError(t, b.Close())
	require.NoError(t, b.Close(), "twice")
	assert.Equal(t, 1, f.Count("auth/token/revoke-self"))
	tok := f.LoginTokens()[0]
	assert.True(t, f.Revoked(tok))
	n := len(f.Requests())
	_, err = b.Lookup(t.Context(), varReq("hello"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "closed")
	assert.Len(t, f.Requests(), n)
}

// TestNamespace: the namespace kwarg reaches every request, logins
// included, as X-Vault-Namespace.
func TestNamespace(t *testing.T) {
	f := newFake(t)
	f.Mount("team1/secret", 2)
	f.Put("team1/secret", "connections/db", map[string]any{"conn_uri": "postgres://team1-db"})
	f.Put("secret", "connections/db", map[string]any{"conn_uri": "postgres://root-db"})
	f.EnableAuth("team1/approle", vaultfake.AppRole, vaultfake.TokenOptions{TTL: loginTTL})
	f.AddCredential("team1/approle", "role", "secret")
	b := mustOpen(t, map[string]any{"url": f.URL, "namespace": "team1", "auth_type": "approle", "role_id": "role", "secret_id": "secret"})
	c, err := b.Connection(t.Context(), connReq("db"))
	require.NoError(t, err)
	assert.Equal(t, "team1-db", c.Host)
	for _, r := range f.Requests() {
		assert.Equal(t, "team1", r.Namespace, r.Path)
	}

	t.Setenv("VAULT_NAMESPACE", "team1")
	b = mustOpen(t, map[string]any{"url": f.URL, "token": f.root})
	c, err = b.Connection(t.Context(), connReq("db"))
	require.NoError(t, err)
	assert.Equal(t, "team1-db", c.Host, "VAULT_NAMESPACE when the kwarg is absent")
}

// TestAuthPrintsNoSecrets: Options, Auth and AssumeRole print without
// credentials (AssumeRole: neither ExternalID nor any Inputs value, such
// as TokenCode, Policy or Tags, only the input names), through every fmt
// verb, encoding/json and log/slog.
func TestAuthPrintsNoSecrets(t *testing.T) {
	ar := &vault.AssumeRole{RoleArn: "arn:aws:iam::123456789012:role/visible", RoleSessionName: "session-visible", ExternalID: "EXTERNAL-ID-VALUE", DurationSeconds: 900,
		Inputs: map[string]json.RawMessage{
			"ExternalId": json.RawMessage(`"EXTERNAL-ID-VALUE"`), "TokenCode": json.RawMessage(`"MFA-CODE-VALUE"`),
			"Policy": json.RawMessage(`"POLICY-DOCUMENT-VALUE"`), "Tags": json.RawMessage(`[{"Key":"k","Value":"TAG-VALUE"}]`),
		}}
	a := vault.Auth{Type: "approle", RoleID: "role-visible", SecretID: "SECRET-ID", Token: "TOKEN", Password: "PASSWORD", JWT: "JWT-VALUE",
		GCPKeyfileJSON: `{"private_key":"KEYFILE-PRIVATE-KEY"}`, RadiusSecret: "RADIUS-SHARED-KEY", AzureTenantID: "tenant-visible", AssumeRole: ar}
	o := vault.Options{Auth: a, Address: "http://127.0.0.1:8200"}
	var printed []string
	for _, v := range []any{a, o, ar, *ar} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			printed = append(printed, fmt.Sprintf(verb, v))
		}
		j, err := json.Marshal(v)
		require.NoError(t, err)
		var log bytes.Buffer
		slog.New(slog.NewJSONHandler(&log, nil)).Info("printed", "v", v)
		printed = append(printed, string(j), log.String())
	}
	for _, s := range printed {
		for _, secret := range []string{"SECRET-ID", "TOKEN", "PASSWORD", "JWT-VALUE", "KEYFILE-PRIVATE-KEY", "RADIUS-SHARED-KEY",
			"EXTERNAL-ID-VALUE", "MFA-CODE-VALUE", "POLICY-DOCUMENT-VALUE", "TAG-VALUE"} {
			assert.NotContains(t, s, secret)
		}
	}
	assert.Contains(t, fmt.Sprint(a), "role-visible")
	assert.Contains(t, fmt.Sprint(a), "tenant-visible")
	assert.Contains(t, fmt.Sprint(a), "role/visible", "Auth shows its AssumeRole")
	for _, want := range []string{"role/visible", "session-visible", "900", "ExternalID: ***", "Inputs: [ExternalId Policy Tags TokenCode]"} {
		assert.Contains(t, fmt.Sprint(ar), want)
	}
	assert.Equal(t, "<nil>", fmt.Sprint((*vault.AssumeRole)(nil)))
}

// TestRadiusServerKwargsIgnored: Airflow's radius_host, radius_secret and
// radius_port (which Airflow writes to Vault's auth/radius/config instead
// of logging in) are accepted and named in a warning at login, without
// the shared secret; none reaches Vault.
func TestRadiusServerKwargsIgnored(t *testing.T) {
	for _, tt := range []struct {
		name     string
		extra    map[string]any
		wantWarn bool
	}{
		{name: "server kwargs", extra: map[string]any{"radius_host": "radius.example.com", "radius_secret": "shared-radius-key", "radius_port": "1812"}, wantWarn: true},
		{name: "no server kwargs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.Put("secret", "variables/hello", map[string]any{"value": "world"})
			f.EnableAuth("", vaultfake.Radius, vaultfake.TokenOptions{TTL: loginTTL})
			f.AddCredential("radius", "carol", "pw-carol")
			kw := map[string]any{"url": f.URL, "auth_type": "radius", "username": "carol", "password": "pw-carol"}
			maps.Copy(kw, tt.extra)
			raw, err := json.Marshal(kw)
			require.NoError(t, err)
			kwargs, err := config.ParseKwargs(raw)
			require.NoError(t, err)
			var log bytes.Buffer
			var mu sync.Mutex
			logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &log}, nil))
			b, err := resolver.OpenBackend(t.Context(), vault.Name, resolver.Env{Kwargs: kwargs, Logger: logger})
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.(*vault.Backend).Close() })
			v, err := b.Lookup(t.Context(), varReq("hello"))
			require.NoError(t, err)
			assert.Equal(t, "world", v)
			mu.Lock()
			out := log.String()
			mu.Unlock()
			if tt.wantWarn {
				assert.Contains(t, out, "level=WARN")
				assert.Contains(t, out, "radius_host, radius_secret and radius_port configure Vault's RADIUS method on the server; they are ignored")
			} else {
				assert.NotContains(t, out, "radius_host")
			}
			assert.NotContains(t, out, "shared-radius-key")
			for _, r := range f.Requests() {
				assert.NotContains(t, string(r.Body), "radius.example.com")
				assert.NotEqual(t, "auth/radius/config", r.Path, "the server's configuration is never written")
			}
		})
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
