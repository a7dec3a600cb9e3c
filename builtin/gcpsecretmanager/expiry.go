package gcpsecretmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

// expireKey is the kwarg of Options.ExpireAtNextRotation.
const expireKey = "expire_at_next_rotation"

var _ resolver.AnswerBackend = (*Backend)(nil)

// Answer is Lookup's answer as a resolver.AnswerBackend. With
// Options.ExpireAtNextRotation (expire_at_next_rotation) on, the secret
// that answered is then read with GetSecret (one more request, no
// payload) and Answer.Expires is the earlier of its expireTime and
// rotation.nextRotationTime; otherwise Expires is zero and no request is
// added. See the package doc's "Expiry".
func (b *Backend) Answer(ctx context.Context, req resolver.Request) resolver.Answer {
	v, target, err := b.lookup(ctx, req)
	a := resolver.Answer{Value: v, Err: err}
	if b.expireAtRotation && err == nil && target != "" {
		a.Expires = b.secretExpiry(ctx, b.nameIn(target))
	}
	return a
}

// secretExpiry returns the earlier of secret name's expireTime and
// rotation.nextRotationTime (zero when it has neither), from one GetSecret
// request with a lookup's timeout and retries. A failure gives zero (the
// value is kept for the cache's TTL) and logs a warning, once per secret
// for PERMISSION_DENIED.
func (b *Backend) secretExpiry(ctx context.Context, name string) time.Time {
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	target := b.secretsURL + name
	t, err := withRetries(ctx, b, func() (time.Time, error) { return b.getSecretOnce(ctx, target) })
	if err == nil || ctx.Err() != nil {
		return t
	}
	var ae *APIError
	msg := "GCP Secret Manager: expire_at_next_rotation: GetSecret failed; the answer is cached for the TTL"
	if errors.As(err, &ae) && ae.Status == "PERMISSION_DENIED" {
		if _, warned := b.expiryDenied.LoadOrStore(name, true); warned {
			return time.Time{}
		}
		msg = "GCP Secret Manager: expire_at_next_rotation: GetSecret refused (grant secretmanager.secrets.get, for instance roles/secretmanager.viewer); the secret's answers are cached for the TTL"
	}
	b.logger.LogAttrs(ctx, slog.LevelWarn, msg, slog.String("backend", Name), slog.String("secret", name),
		slog.String("error", (&Error{Secret: name, err: err}).Error()))
	return time.Time{}
}

// getSecretOnce sends one GetSecret request (REST: GET
// /v1/{name=projects/*/secrets/*}) and returns the expiry its Secret
// answer gives (decodeSecretExpiry).
func (b *Backend) getSecretOnce(ctx context.Context, target string) (time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return time.Time{}, err
	}
	req.Header["User-Agent"] = userAgentValue
	if b.tokens != nil {
		tok, err := b.tokens.token(ctx)
		if err != nil {
			return time.Time{}, err
		}
		req.Header["Authorization"] = tok.auth
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return time.Time{}, err
	}
	defer resp.Body.Close()
	rb := kit.GetBody()
	defer rb.Put()
	over, err := rb.Read(resp.Body, maxBody)
	if err == nil && over {
		err = errTooLarge
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the response (HTTP %d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return time.Time{}, parseAPIError(resp.StatusCode, rb.Bytes())
	}
	return decodeSecretExpiry(rb.Bytes())
}

// decodeSecretExpiry reads a Secret (proto3 JSON): the earlier of its
// expireTime and rotation.nextRotationTime (RFC 3339 timestamps), zero
// when it has neither. Nothing else is read; the resource holds no
// payload. Errors say where the body is wrong.
func decodeSecretExpiry(body []byte) (time.Time, error) {
	var doc struct {
		Name       *string `json:"name"`
		ExpireTime string  `json:"expireTime"`
		Rotation   struct {
			NextRotationTime string `json:"nextRotationTime"`
		} `json:"rotation"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return time.Time{}, fmt.Errorf("%w: %s", errDecode, jsonWhere(err))
	}
	if doc.Name == nil || *doc.Name == "" {
		return time.Time{}, fmt.Errorf("%w: no secret name: not a Secret", errDecode)
	}
	var out time.Time
	for _, f := range []struct{ field, v string }{
		{"expireTime", doc.ExpireTime},
		{"rotation.nextRotationTime", doc.Rotation.NextRotationTime},
	} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, f.v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: %s is not an RFC 3339 timestamp", errDecode, f.field)
		}
		if out.IsZero() || t.Before(out) {
			out = t
		}
	}
	return out, nil
}
