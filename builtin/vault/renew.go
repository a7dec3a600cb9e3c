package vault

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"
)

// The backoff between failed renewals of a token: doubling from
// renewRetryMin up to renewRetryMax, as the API's lifetime watcher intends.
const (
	renewRetryMin = 10 * time.Second
	renewRetryMax = 5 * time.Minute
)

// watch keeps st's token alive until st is retired, with the API's
// lifetime watcher, and logs what happens: each renewal (debug); a failed
// renewal (warning), retried after a backoff while the lease leaves room
// for it; the lease ending (info) when the token cannot be renewed any
// more (not renewable, or its max TTL reached). When the renewal ends for
// good st is stale, so that the next lookup logs in again (token auth:
// re-reads its token_path). lease is the token's TTL, renewable whether
// it can be renewed.
//
// The watcher is run with RenewBehaviorErrorOnErrors, so that a failure
// ends it with the error, and retried here: with the default behaviour
// the API (v1.23) retries by itself but its backoff never says stop
// (hashicorp/vault#28611), so that renewals that keep failing end in a
// loop of requests without a pause until the lease's grace period, and
// the failure is never reported.
//
// Records name no token and no credential: errors are Vault's messages,
// with the token masked should one ever quote it.
func (s *session) watch(st *authState, lease time.Duration, renewable bool) {
	ctx := context.Background()
	expiry := time.Now().Add(lease)
	failures := 0
	for {
		w, err := s.newWatcher(st.token, time.Until(expiry), renewable)
		if err != nil || !st.setWatcher(w) {
			if err != nil {
				st.stale.Store(true)
			}
			return
		}
		go w.Start() // returns when the lease ends, a renewal fails, or on Stop
		renewed := func(out *api.RenewOutput) {
			if out == nil || out.Secret == nil || out.Secret.Auth == nil {
				return
			}
			ttl := time.Duration(out.Secret.Auth.LeaseDuration) * time.Second
			expiry, renewable, failures = out.RenewedAt.Add(ttl), out.Secret.Auth.Renewable, 0
			s.logAttrs(ctx, slog.LevelDebug, "vault: token renewed", slog.Duration("ttl", ttl))
		}
		var done error
	follow:
		for {
			select {
			case <-st.stop:
				return
			case out := <-w.RenewCh():
				renewed(out)
			case done = <-w.DoneCh():
				break follow
			}
		}
		for drained := false; !drained; { // renewals sent before the end
			select {
			case out := <-w.RenewCh():
				renewed(out)
			default:
				drained = true
			}
		}
		select {
		case <-st.stop:
			return // stopped, not ended
		default:
		}
		if errors.Is(done, api.ErrLifetimeWatcherNotRenewable) {
			renewable = false // the last renewal says so: watch the rest of its lease
			continue
		}
		if done == nil {
			st.stale.Store(true)
			s.logAttrs(ctx, slog.LevelInfo, "vault: token lease ending, not renewed any more", slog.String("next", s.afterRenewal()))
			return
		}
		failures++
		delay := renewRetryDelay(failures)
		if left := time.Until(expiry); delay < left/2 {
			s.logAttrs(ctx, slog.LevelWarn, "vault: token renewal failed",
				slog.String("error", maskToken(done.Error(), st.token)), slog.String("next", "retry in "+delay.String()))
			t := time.NewTimer(delay)
			select {
			case <-st.stop:
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		st.stale.Store(true)
		s.logAttrs(ctx, slog.LevelWarn, "vault: token renewal failed",
			slog.String("error", maskToken(done.Error(), st.token)), slog.String("next", s.afterRenewal()))
		return
	}
}

// renewRetryDelay is the pause after the n-th failed renewal in a row.
func renewRetryDelay(n int) time.Duration {
	d := renewRetryMin
	for i := 1; i < n && d < renewRetryMax; i++ {
		d *= 2
	}
	return min(d, renewRetryMax)
}

// afterRenewal says what happens once the token is not renewed any more.
func (s *session) afterRenewal() string {
	switch {
	case !s.canLogin():
		return "none: token auth without token_path cannot get another token; lookups fail once it expires"
	case s.auth.Type == AuthToken:
		return "token_path re-read at the next lookup"
	}
	return "a new login at the next lookup"
}

// newWatcher returns a lifetime watcher renewing tok, whose lease has
// left to run. It renews through a client of its own, whose responses
// renewalResponse sees.
func (s *session) newWatcher(tok string, left time.Duration, renewable bool) (*api.LifetimeWatcher, error) {
	c, err := s.login.CloneWithHeaders()
	if err != nil {
		return nil, err
	}
	c.ClearToken() // renewals send the renewed token themselves
	in := &api.LifetimeWatcherInput{
		Secret: &api.Secret{Auth: &api.SecretAuth{ClientToken: tok, Renewable: renewable, LeaseDuration: max(int(left.Seconds()), 1)}},
		// Not renewable: no renewal, only the lease's end to signal (this
		// behaviour refuses a non-renewable token).
		RenewBehavior: api.RenewBehaviorIgnoreErrors,
	}
	if renewable {
		in.RenewBehavior = api.RenewBehaviorErrorOnErrors
	}
	return c.WithResponseCallbacks(s.renewalResponse).NewLifetimeWatcher(in)
}

// renewalResponse logs a renewal refused with 403, which the watcher takes
// as "not renewable" without an error: the token is then kept, not
// renewed, until its lease ends. Other refusals end the watcher with
// Vault's error, which watch logs.
func (s *session) renewalResponse(r *api.Response) {
	if r == nil || r.Response == nil || r.StatusCode != 403 {
		return
	}
	s.logAttrs(context.Background(), slog.LevelWarn, "vault: token renewal refused",
		slog.Int("status", r.StatusCode), slog.String("next", "not renewed any more; "+s.afterRenewal()+" once its lease ends"))
}

// logAttrs logs a record of the session, naming the auth type.
func (s *session) logAttrs(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	s.logger.LogAttrs(ctx, level, msg, append([]slog.Attr{slog.String("auth_type", s.auth.Type)}, attrs...)...)
}

// maskToken replaces tok in msg with "***".
func maskToken(msg, tok string) string {
	if tok == "" {
		return msg
	}
	return strings.ReplaceAll(msg, tok, "***")
}
