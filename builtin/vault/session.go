package vault

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/vault/api"
	"golang.org/x/sync/singleflight"

	"github.com/secretpath/secretpath/resolver"
)

// authState is one authenticated token.
type authState struct {
	token string // kept in memory only: revoked on Close when owned
	owned bool   // created by a login of ours: revoked on Close
	// stale is set when the token's lifetime watcher gave up (it can no
	// longer be renewed and is about to expire): the next lookup logs in
	// again first.
	stale   atomic.Bool
	watcher *api.LifetimeWatcher
}

// session authenticates lazily, once, and again when a request is refused
// with 403 or the token is about to expire. Concurrent lookups share one
// login (singleflight).
type session struct {
	auth    Auth
	ext     *AuthMethod  // auth's registered AuthMethod, nil for a built-in type
	logger  *slog.Logger // for ext's logins
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
	st := &authState{}
	var renew *api.Secret // what the lifetime watcher renews
	if s.auth.Type == AuthToken {
		tok, err := s.auth.token()
		if err != nil {
			return nil, err
		}
		if failed != nil && tok == failed.token {
			return nil, errSameToken
		}
		if cur := s.cur.Load(); failed == nil && cur != nil && tok == cur.token {
			// Stale, and the file still holds the same token: keep using
			// it until Vault refuses it.
			cur.stale.Store(false)
			return cur, nil
		}
		// Airflow checks the token (lookup-self) before the first read;
		// its TTL and renewability drive the watcher.
		c, err := s.withToken(tok)
		if err != nil {
			return nil, err
		}
		self, err := c.Auth().Token().LookupSelfWithContext(ctx)
		if err != nil {
			return nil, authError("token lookup-self", err)
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
			return nil, s.auth.redact(s.ext, err)
		}
		secret, err := s.login.Logical().WriteWithContext(ctx, path, body)
		if err != nil {
			return nil, s.auth.redact(s.ext, authError(s.auth.Type+" login at "+path, err))
		}
		if secret == nil || secret.Auth == nil || secret.Auth.ClientToken == "" {
			if secret != nil && secret.Auth != nil && secret.Auth.MFARequirement != nil {
				return nil, fmt.Errorf("%s: %s login at %s requires MFA, which is not supported", Name, s.auth.Type, path)
			}
			return nil, fmt.Errorf("%s: %s login at %s returned no token", Name, s.auth.Type, path)
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

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		if st.owned {
			s.revoke(ctx, st.token)
		}
		return nil, errClosed
	}
	s.client.SetToken(st.token)
	old := s.cur.Swap(st)
	if old != nil && old.watcher != nil {
		old.watcher.Stop()
	}
	if renew != nil {
		if w, err := s.client.NewLifetimeWatcher(&api.LifetimeWatcherInput{Secret: renew}); err == nil {
			st.watcher = w
			go func() {
				w.Start() // returns once the token cannot be renewed any more, or on Stop
				<-w.DoneCh()
				st.stale.Store(true)
			}()
		}
	}
	return st, nil
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
	if st.watcher != nil {
		st.watcher.Stop()
	}
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
