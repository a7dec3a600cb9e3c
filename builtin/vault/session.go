package vault

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/vault/api"
	"golang.org/x/sync/singleflight"

	"github.com/secretpath/secretpath/resolver"
)

// authState is one authenticated token.
type authState struct {
	token string // kept in memory only: revoked on Close when owned
	owned bool   // created by a login of ours: revoked on Close
	// stale is set when the token's renewal ended (it can no longer be
	// renewed and is about to expire): the next lookup logs in again
	// first.
	stale atomic.Bool

	// The renewal of a token with a TTL (see watch). stop is closed and
	// the current watcher stopped when the state is retired: replaced by
	// a new token, or the backend closed.
	wmu     sync.Mutex
	stop    chan struct{} // nil: the token is not watched
	watcher *api.LifetimeWatcher
	retired bool
}

// retire stops st's renewal for good.
func (st *authState) retire() {
	st.wmu.Lock()
	defer st.wmu.Unlock()
	if st.retired {
		return
	}
	st.retired = true
	if st.stop != nil {
		close(st.stop)
	}
	if st.watcher != nil {
		st.watcher.Stop()
	}
}

// setWatcher makes w st's current watcher; false when st is retired (w
// must not be started).
func (st *authState) setWatcher(w *api.LifetimeWatcher) bool {
	st.wmu.Lock()
	defer st.wmu.Unlock()
	if st.retired {
		return false
	}
	st.watcher = w
	return true
}

// session authenticates lazily, once, and again when a request is refused
// with 403 or the token is about to expire. Concurrent lookups share one
// login (singleflight).
type session struct {
	auth    Auth
	ext     *AuthMethod  // auth's registered AuthMethod, nil for a built-in type
	logger  *slog.Logger // never nil: logins, renewals (see watch), ext's logins
	client  *api.Client  // the lookups' client; its token is the current one
	login   *api.Client  // the same configuration without a token, for logins
	timeout func(context.Context) (context.Context, context.CancelFunc)

	cur    atomic.Pointer[authState]
	group  singleflight.Group
	mu     sync.Mutex // guards closed and the watcher handover
	closed bool
}

var errClosed = errors.New(Name + ": backend closed")

// canLogin reports whether a new token can be had (token auth re-reads
// its token_path; other methods log in again).
func (s *session) canLogin() bool {
	return s.auth.Type != AuthToken || s.auth.TokenPath != ""
}

// current returns the token state to use, authenticating first when there
// is none or it is stale.
func (s *session) current(ctx context.Context) (*authState, error) {
	if st := s.cur.Load(); st != nil && !(st.stale.Load() && s.canLogin()) {
		return st, nil
	}
	return s.authenticate(ctx, nil)
}

// authenticate gets a new token. failed is the state a request was refused
// with (nil for the first login or a stale token): when another lookup has
// already replaced it, that newer state is returned without a login.
func (s *session) authenticate(ctx context.Context, failed *authState) (*authState, error) {
	ch := s.group.DoChan("auth", func() (any, error) {
		cur := s.cur.Load()
		if cur != nil && cur != failed && !(cur.stale.Load() && s.canLogin()) {
			return cur, nil
		}
		// One lookup giving up must not fail the login the others wait for.
		lctx, cancel := s.timeout(context.WithoutCancel(ctx))
		defer cancel()
		return s.loginLocked(lctx, failed)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*authState), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// errSameToken: token auth re-read its source and found the token that was
// refused.
var errSameToken = errors.New("no new token")

// loginLocked runs inside the singleflight.
func (s *session) loginLocked(ctx context.Context, failed *authState) (*authState, error) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	// Why a token is needed again, for the log: "" for the first login.
	var reason string
	switch prev := s.cur.Load(); {
	case failed != nil:
		reason = "a request was refused (403)"
	case prev != nil && prev.stale.Load():
		reason = "the token can no longer be renewed"
	}
	st, renew, err := s.newToken(ctx, failed)
	if err != nil {
		if reason != "" && !errors.Is(err, errSameToken) {
			s.logAttrs(ctx, slog.LevelWarn, "vault: logging in again failed",
				slog.String("reason", reason), slog.String("error", err.Error()))
		}
		return nil, err
	}
	if st == s.cur.Load() {
		return st, nil // token auth: the same token, still in use
	}

	if err := s.install(ctx, st, renew); err != nil {
		return nil, err
	}
	attrs := []slog.Attr{slog.Bool("renewable", renew != nil && renew.Auth.Renewable)}
	if renew != nil {
		attrs = append(attrs, slog.Duration("ttl", time.Duration(renew.Auth.LeaseDuration)*time.Second))
	}
	switch {
	case reason == "":
		s.logAttrs(ctx, slog.LevelDebug, "vault: authenticated", attrs...)
	case s.auth.Type == AuthToken:
		s.logAttrs(ctx, slog.LevelInfo, "vault: new token read from token_path", append(attrs, slog.String("reason", reason))...)
	default:
		s.logAttrs(ctx, slog.LevelInfo, "vault: logged in again", append(attrs, slog.String("reason", reason))...)
	}
	return st, nil
}

// install makes st the current token, retires the previous one and starts
// st's renewal when renew is not nil. After Close it revokes st (when ours)
// instead and returns errClosed.
func (s *session) install(ctx context.Context, st *authState, renew *api.Secret) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		if st.owned {
			s.revoke(ctx, st.token)
		}
		return errClosed
	}
	s.client.SetToken(st.token)
	if renew != nil {
		st.stop = make(chan struct{})
	}
	old := s.cur.Swap(st)
	if old != nil {
		old.retire()
	}
	if renew != nil {
		go s.watch(st, time.Duration(renew.Auth.LeaseDuration)*time.Second, renew.Auth.Renewable)
	}
	return nil
}

// newToken gets a token: token auth reads it (and checks it with
// lookup-self), other methods log in. renew, when not nil, is what the
// lifetime watcher is to renew. For token auth whose source still holds
// the current (stale) token, it returns the current state.
func (s *session) newToken(ctx context.Context, failed *authState) (st *authState, renew *api.Secret, _ error) {
	st = &authState{}
	if s.auth.Type == AuthToken {
		tok, err := s.auth.token()
		if err != nil {
			return nil, nil, err
		}
		if failed != nil && tok == failed.token {
			return nil, nil, errSameToken
		}
		if cur := s.cur.Load(); failed == nil && cur != nil && tok == cur.token {
			// Stale, and the file still holds the same token: keep using
			// it until Vault refuses it.
			cur.stale.Store(false)
			return cur, nil, nil
		}
		// Airflow checks the token (lookup-self) before the first read;
		// its TTL and renewability drive the watcher.
		c, err := s.withToken(tok)
		if err != nil {
			return nil, nil, err
		}
		self, err := c.Auth().Token().LookupSelfWithContext(ctx)
		if err != nil {
			return nil, nil, authError("token lookup-self", err)
		}
		st.token = tok
		if self != nil {
			renewable, _ := self.TokenIsRenewable()
			ttl, _ := self.TokenTTL()
			if renewable && ttl > 0 {
				renew = &api.Secret{Auth: &api.SecretAuth{ClientToken: tok, Renewable: true, LeaseDuration: int(ttl.Seconds())}}
			}
		}
	} else {
		path, body, err := s.auth.loginRequest(ctx, s.ext, LoginRequest{Auth: s.auth, Client: s.login, Logger: s.logger})
		if err != nil {
			return nil, nil, s.auth.redact(s.ext, err)
		}
		secret, err := s.login.Logical().WriteWithContext(ctx, path, body)
		if err != nil {
			return nil, nil, s.auth.redact(s.ext, maskBody(s.ext, body, authError(s.auth.Type+" login at "+path, err)))
		}
		if secret == nil || secret.Auth == nil || secret.Auth.ClientToken == "" {
			if secret != nil && secret.Auth != nil && secret.Auth.MFARequirement != nil {
				return nil, nil, fmt.Errorf("%s: %s login at %s requires MFA, which is not supported", Name, s.auth.Type, path)
			}
			return nil, nil, fmt.Errorf("%s: %s login at %s returned no token", Name, s.auth.Type, path)
		}
		st.token, st.owned = secret.Auth.ClientToken, true
		if secret.Auth.LeaseDuration > 0 {
			// The watcher renews a renewable token and, for any token with a
			// TTL, says when it is about to expire.
			renew = &api.Secret{Auth: &api.SecretAuth{
				ClientToken: st.token, Renewable: secret.Auth.Renewable, LeaseDuration: secret.Auth.LeaseDuration,
			}}
		}
	}
	return st, renew, nil
}

// withToken returns a client with the lookups' configuration and token tok.
func (s *session) withToken(tok string) (*api.Client, error) {
	c, err := s.login.CloneWithHeaders()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	c.SetToken(tok)
	return c, nil
}

// revoke revokes tok (revoke-self), ignoring errors: the token expires on
// its own.
func (s *session) revoke(ctx context.Context, tok string) {
	c, err := s.withToken(tok)
	if err != nil {
		return
	}
	_ = c.Auth().Token().RevokeSelfWithContext(ctx, "")
}

// close stops renewing and revokes the token a login created.
func (s *session) close(ctx context.Context) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	st := s.cur.Swap(nil)
	s.client.ClearToken()
	s.mu.Unlock()
	if st == nil {
		return
	}
	st.retire()
	if st.owned {
		s.revoke(ctx, st.token)
	}
}

// authError wraps a failed authentication request. A 403 also matches
// resolver.ErrPermissionDenied. The API's error names the URL and Vault's
// messages, never the credentials sent.
func authError(what string, err error) error {
	if statusOf(err) == http.StatusForbidden {
		return fmt.Errorf("%s: authentication failed (%s): %w: %w", Name, what, resolver.ErrPermissionDenied, err)
	}
	return fmt.Errorf("%s: authentication failed (%s): %w", Name, what, err)
}

// statusOf returns the HTTP status of an API error, or 0.
func statusOf(err error) int {
	var re *api.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}
