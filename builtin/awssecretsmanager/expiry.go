package awssecretsmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/secretpath/secretpath/builtin/internal/awscommon"
	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver"
)

// expireKey is the kwarg of Options.ExpireAtNextRotation.
const expireKey = "expire_at_next_rotation"

var _ resolver.AnswerBackend = (*Backend)(nil)

// Answer is Lookup's answer, or for a connection Connection's (Fields
// set), as a resolver.AnswerBackend. With Options.ExpireAtNextRotation
// (expire_at_next_rotation) on, a found secret is then described
// (DescribeSecret: one more request, no value) and Answer.Expires is its
// NextRotationDate when rotation is on; otherwise Expires is zero and no
// request is added. See the package doc's "Expiry".
func (b *Backend) Answer(ctx context.Context, req resolver.Request) resolver.Answer {
	v, std, name, version, err := b.lookupVersion(ctx, req)
	a := toAnswer(req, v, std, err)
	if b.expireAtRotation && a.Err == nil {
		a.Expires = b.nextRotation(ctx, name, version)
	}
	return a
}

// toAnswer is the resolver.Answer to req from lookup's answer: a
// connection's fields (as Connection returns them) or a value (as Lookup
// returns it).
func toAnswer(req resolver.Request, v string, std *stdSecret, err error) resolver.Answer {
	if req.Kind != resolver.KindConnection {
		if err == nil && std != nil {
			v = std.String()
		}
		return resolver.Answer{Value: v, Err: err}
	}
	c, err := toConnection(req, v, std, err)
	if err != nil {
		return resolver.Answer{Err: err}
	}
	return resolver.Answer{Conn: c, Fields: true}
}

// setExpiries sets the Expires of the answers found in a batch, describing
// their secrets one request each, awscommon.BatchParallel at once.
func (b *Backend) setExpiries(ctx context.Context, found []awscommon.Found, answers []resolver.Answer) {
	var todo []int
	for i := range answers {
		if answers[i].Err == nil && found[i].Name != "" {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return
	}
	_ = awscommon.EachChunk(ctx, len(todo), 1, func(ctx context.Context, k, _ int) error {
		i := todo[k]
		answers[i].Expires = b.nextRotation(ctx, found[i].Name, found[i].Version)
		return nil
	})
}

// nextRotation returns when the value of version of secret name stops
// being current, from one DescribeSecret request (bounded as a lookup):
// NextRotationDate while rotation is on; the present time when
// AWSCURRENT is no longer version (the secret changed between the two
// requests: the value read is not to be cached); zero otherwise. A failed
// request gives zero (the value is kept for the cache's TTL) and logs a
// warning, once per secret when it is AccessDeniedException.
func (b *Backend) nextRotation(ctx context.Context, name, version string) time.Time {
	ctx, release := kit.Bound(ctx, b.timeout)
	defer release()
	out, err := b.client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &name})
	if err != nil {
		if ctx.Err() == nil {
			b.warnNoExpiry(ctx, name, err)
		}
		return time.Time{}
	}
	if version != "" && !slices.Contains(out.VersionIdsToStages[version], "AWSCURRENT") {
		return time.Now()
	}
	if out.RotationEnabled == nil || !*out.RotationEnabled || out.NextRotationDate == nil {
		return time.Time{}
	}
	return *out.NextRotationDate
}

// warnNoExpiry logs that secret name's next rotation could not be read:
// once per secret for AccessDeniedException (the role lacks
// secretsmanager:DescribeSecret), every time for other failures.
func (b *Backend) warnNoExpiry(ctx context.Context, name string, err error) {
	var ae smithy.APIError
	denied := errors.As(err, &ae) && awscommon.IsAccessDenied(ae.ErrorCode())
	if denied {
		if _, warned := b.expiryDenied.LoadOrStore(name, true); warned {
			return
		}
	}
	logger := b.teams.Logger
	if logger == nil {
		logger = slog.Default()
	}
	msg := "expire_at_next_rotation: DescribeSecret failed; the answer is cached for the TTL"
	if denied {
		msg = "expire_at_next_rotation: DescribeSecret refused (AccessDeniedException: grant secretsmanager:DescribeSecret); the secret's answers are cached for the TTL"
	}
	logger.LogAttrs(ctx, slog.LevelWarn, msg, slog.String("backend", Name), slog.String("secret", name),
		slog.String("error", b.redactor.Wrap(fmt.Sprintf("describing secret %q", name), err, func(string) bool { return false }).Error()))
}
