package vault_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
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

// logCapture is a debug-level slog text log safe for the renewal
// goroutines to write to.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logCapture) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// line returns the first record whose message is msg, or "".
func (l *logCapture) line(msg string) string {
	for line := range strings.SplitSeq(l.String(), "\n") {
		if strings.Contains(line, "msg="+strconv.Quote(msg)) {
			return line
		}
	}
	return ""
}

// openLogged opens the backend through the registry with log as the
// factory's logger (resolver.Env.Logger), and closes it when t ends.
func openLogged(t *testing.T, kw map[string]any, log *logCapture) *vault.Backend {
	t.Helper()
	raw, err := json.Marshal(kw)
	require.NoError(t, err)
	kwargs, err := config.ParseKwargs(raw)
	require.NoError(t, err)
	b, err := resolver.OpenBackend(t.Context(), vault.Name, resolver.Env{Kwargs: kwargs, Logger: log.logger()})
	require.NoError(t, err)
	vb, ok := b.(*vault.Backend)
	require.True(t, ok, "%T", b)
	t.Cleanup(func() { _ = vb.Close() })
	return vb
}

// TestRenewalLogs: the backend logs its token's life (authenticated,
// renewed, renewal refused or failed, lease ending, logged in again) to the
// logger the factory is given (or Options.Logger), never with a token or a
// credential. Waits are bounded by generous deadlines, not asserted.
func TestRenewalLogs(t *testing.T) {
	const secretID = "approle-SECRET-id-0123"
	// approle logs in to a fake whose login tokens live ttl.
	approle := func(t *testing.T, opts vaultfake.TokenOptions) (*fake, map[string]any) {
		f := newFake(t)
		f.Put("secret", "variables/hello", map[string]any{"value": "world"})
		f.EnableAuth("", vaultfake.AppRole, opts)
		f.AddCredential("approle", "role", secretID)
		return f, map[string]any{"url": f.URL, "auth_type": "approle", "role_id": "role", "secret_id": secretID}
	}
	// noSecrets checks that log holds none of f's tokens and no credential.
	noSecrets := func(t *testing.T, f *fake, log *logCapture, more ...string) {
		t.Helper()
		text := log.String()
		for _, tok := range append(append(f.LoginTokens(), f.root), more...) {
			assert.NotContains(t, text, tok)
		}
		assert.NotContains(t, text, secretID)
	}

	t.Run("renewed", func(t *testing.T) {
		f, kw := approle(t, vaultfake.TokenOptions{TTL: 2 * time.Second, Renewable: true})
		log := &logCapture{}
		b := openLogged(t, kw, log)
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return log.line("vault: token renewed") != "" }, time.Minute, 50*time.Millisecond)
		auth := log.line("vault: authenticated")
		assert.Contains(t, auth, "level=DEBUG")
		assert.Contains(t, auth, "auth_type=approle")
		assert.Contains(t, auth, "renewable=true")
		assert.Contains(t, auth, "ttl=2s")
		assert.Contains(t, log.line("vault: token renewed"), "ttl=")
		noSecrets(t, f, log)
	})

	t.Run("renewal failed", func(t *testing.T) {
		f, kw := approle(t, vaultfake.TokenOptions{TTL: 2 * time.Second, Renewable: true})
		f.Fail(vaultfake.Fault{Path: "auth/token/renew-self", Status: 400, Errors: []string{"renewal refused by policy"}})
		log := &logCapture{}
		b := openLogged(t, kw, log)
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return log.line("vault: token renewal failed") != "" }, time.Minute, 50*time.Millisecond)
		failed := log.line("vault: token renewal failed")
		assert.Contains(t, failed, "level=WARN")
		assert.Contains(t, failed, "auth_type=approle")
		assert.Contains(t, failed, "renewal refused by policy", "Vault's message")
		assert.Contains(t, failed, `next="a new login at the next lookup"`, "2 s leave no room for a retry")
		// The API's own retries would loop without a pause until the
		// lease's grace period (hashicorp/vault#28611).
		assert.Equal(t, 1, f.Count("auth/token/renew-self"), "one attempt, not a loop")

		// The next lookup logs in again, and says why.
		_, err = b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		again := log.line("vault: logged in again")
		assert.Contains(t, again, "level=INFO")
		assert.Contains(t, again, `reason="the token can no longer be renewed"`)
		assert.GreaterOrEqual(t, len(f.LoginTokens()), 2)
		noSecrets(t, f, log)
	})

	t.Run("renewal failed, retried later", func(t *testing.T) {
		f, kw := approle(t, vaultfake.TokenOptions{TTL: loginTTL, Renewable: true})
		f.Fail(vaultfake.Fault{Path: "auth/token/renew-self", Status: 500, Errors: []string{"storage unavailable"}})
		t.Setenv("VAULT_MAX_RETRIES", "0") // the client's own retries of a 500
		log := &logCapture{}
		b := openLogged(t, kw, log)
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return log.line("vault: token renewal failed") != "" }, time.Minute, 50*time.Millisecond)
		failed := log.line("vault: token renewal failed")
		assert.Contains(t, failed, "storage unavailable")
		assert.Contains(t, failed, `next="retry in 10s"`)
		time.Sleep(200 * time.Millisecond)
		assert.Equal(t, 1, f.Count("auth/token/renew-self"), "the retry waits")
		_, err = b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		assert.Len(t, f.LoginTokens(), 1, "the token is still good: no new login")
		noSecrets(t, f, log)
	})

	t.Run("renewal refused (403)", func(t *testing.T) {
		f, kw := approle(t, vaultfake.TokenOptions{TTL: loginTTL, Renewable: true})
		f.Fail(vaultfake.Fault{Path: "auth/token/renew-self", Status: 403, Errors: []string{"permission denied"}})
		log := &logCapture{}
		b := openLogged(t, kw, log)
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return log.line("vault: token renewal refused") != "" }, time.Minute, 50*time.Millisecond)
		refused := log.line("vault: token renewal refused")
		assert.Contains(t, refused, "level=WARN")
		assert.Contains(t, refused, "status=403")
		assert.Contains(t, refused, "a new login at the next lookup once its lease ends")
		time.Sleep(200 * time.Millisecond)
		assert.Equal(t, 1, f.Count("auth/token/renew-self"), "not renewed any more")
		noSecrets(t, f, log)
	})

	t.Run("renewed, then not renewable any more", func(t *testing.T) {
		f, kw := approle(t, vaultfake.TokenOptions{TTL: loginTTL, Renewable: true})
		// The renewal grants 2 s more, and no further renewal (a max TTL).
		f.Fail(vaultfake.Fault{Path: "auth/token/renew-self", Status: 200,
			Body: `{"auth":{"client_token":"renewed-TOKEN-value","renewable":false,"lease_duration":2}}`})
		log := &logCapture{}
		b := openLogged(t, kw, log)
		require.Eventually(t, func() bool {
			_, err := b.Lookup(t.Context(), varReq("hello"))
			require.NoError(t, err)
			return log.line("vault: logged in again") != ""
		}, time.Minute, 100*time.Millisecond)
		assert.Contains(t, log.line("vault: token renewed"), "ttl=2s")
		assert.Contains(t, log.line("vault: token lease ending, not renewed any more"), "level=INFO")
		assert.Empty(t, log.line("vault: token renewal failed"))
		assert.LessOrEqual(t, f.Count("auth/token/renew-self"), len(f.LoginTokens()), "one renewal per login")
		noSecrets(t, f, log, "renewed-TOKEN-value")
	})

	t.Run("given token, built by New", func(t *testing.T) {
		f := newFake(t)
		f.Put("secret", "variables/hello", map[string]any{"value": "world"})
		tok := f.CreateToken(vaultfake.TokenOptions{TTL: 2 * time.Second, Renewable: true})
		f.Fail(vaultfake.Fault{Path: "auth/token/renew-self", Status: 400, Errors: []string{"renewal refused by policy"}})
		log := &logCapture{}
		b, err := vault.New(vault.Options{Address: f.URL, Auth: vault.Auth{Token: tok}, Logger: log.logger()})
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close() })
		_, err = b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return log.line("vault: token renewal failed") != "" }, time.Minute, 50*time.Millisecond)
		failed := log.line("vault: token renewal failed")
		assert.Contains(t, failed, "auth_type=token")
		assert.Contains(t, failed, "token auth without token_path cannot get another token")
		noSecrets(t, f, log, tok)
	})

	t.Run("lease ending, logged in again", func(t *testing.T) {
		// Not renewable, and the TTL is not enforced: the new login comes
		// from the watcher's end, never from a 403.
		f, kw := approle(t, vaultfake.TokenOptions{TTL: 2 * time.Second, Unenforced: true})
		log := &logCapture{}
		b := openLogged(t, kw, log)
		require.Eventually(t, func() bool {
			_, err := b.Lookup(t.Context(), varReq("hello"))
			require.NoError(t, err)
			return log.line("vault: logged in again") != ""
		}, time.Minute, 100*time.Millisecond)
		ending := log.line("vault: token lease ending, not renewed any more")
		assert.Contains(t, ending, "level=INFO")
		assert.Contains(t, ending, `next="a new login at the next lookup"`)
		assert.Contains(t, log.line("vault: authenticated"), "renewable=false")
		assert.Contains(t, log.line("vault: logged in again"), `reason="the token can no longer be renewed"`)
		assert.Empty(t, log.line("vault: token renewal failed"))
		noSecrets(t, f, log)
	})

	t.Run("refused, logged in again", func(t *testing.T) {
		f, kw := approle(t, vaultfake.TokenOptions{TTL: loginTTL, Renewable: true})
		log := &logCapture{}
		b := openLogged(t, kw, log)
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		require.Equal(t, 1, f.RevokeLoginTokens())
		_, err = b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		assert.Contains(t, log.line("vault: logged in again"), `reason="a request was refused (403)"`)
		noSecrets(t, f, log)
	})

	t.Run("logging in again failed", func(t *testing.T) {
		f, kw := approle(t, vaultfake.TokenOptions{TTL: loginTTL, Renewable: true})
		log := &logCapture{}
		b := openLogged(t, kw, log)
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		require.Equal(t, 1, f.RevokeLoginTokens())
		f.Fail(vaultfake.Fault{Path: "auth/approle/login", Status: 400, Errors: []string{"login refused"}})
		_, err = b.Lookup(t.Context(), varReq("hello"))
		require.Error(t, err)
		failed := log.line("vault: logging in again failed")
		assert.Contains(t, failed, "level=WARN")
		assert.Contains(t, failed, `reason="a request was refused (403)"`)
		assert.Contains(t, failed, "login refused")
		noSecrets(t, f, log)
	})

	t.Run("closed: no lease ending", func(t *testing.T) {
		f, kw := approle(t, vaultfake.TokenOptions{TTL: loginTTL, Renewable: true})
		log := &logCapture{}
		b := openLogged(t, kw, log)
		_, err := b.Lookup(t.Context(), varReq("hello"))
		require.NoError(t, err)
		require.NoError(t, b.Close())
		time.Sleep(100 * time.Millisecond) // the stopped watcher's goroutine ends
		assert.Empty(t, log.line("vault: token lease ending, not renewed any more"), "a watcher stopped by Close is not a lease ending")
		assert.Empty(t, log.line("vault: token renewal failed"))
		noSecrets(t, f, log)
	})
}
