package kittest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
)

// AnswersLikeLookups checks that b's Answer (resolver.AnswerBackend) says
// exactly what its Lookup, or for connections its Connection when b is a
// resolver.ConnectionBackend, says of each of reqs: the same value, the
// same connection (Fields set), or an error with the same text that
// matches resolver.ErrNotFound when the single lookup's does. It returns
// the answers, for the caller to check their Expires.
func AnswersLikeLookups(ctx context.Context, t *testing.T, b resolver.Backend, reqs []resolver.Request) []resolver.Answer {
	t.Helper()
	ab, ok := b.(resolver.AnswerBackend)
	require.True(t, ok, "%T does not implement resolver.AnswerBackend", b)
	cb, fields := b.(resolver.ConnectionBackend)
	out := make([]resolver.Answer, len(reqs))
	for i, req := range reqs {
		a := ab.Answer(ctx, req)
		out[i] = a
		if req.Kind == resolver.KindConnection && fields {
			c, err := cb.Connection(ctx, req)
			if err != nil {
				sameError(t, req, err, a.Err)
				continue
			}
			if assert.NoError(t, a.Err, "%v", req) && assert.True(t, a.Fields, "%v: Fields", req) {
				assert.Equal(t, c, a.Conn, "%v", req)
			}
			continue
		}
		v, err := b.Lookup(ctx, req)
		if err != nil {
			sameError(t, req, err, a.Err)
			continue
		}
		if assert.NoError(t, a.Err, "%v", req) {
			assert.False(t, a.Fields, "%v: Fields", req)
			assert.Equal(t, v, a.Value, "%v", req)
		}
	}
	return out
}

func sameError(t *testing.T, req resolver.Request, want, got error) {
	t.Helper()
	if !assert.Error(t, got, "%v: the single lookup failed with %v", req, want) {
		return
	}
	assert.Equal(t, errors.Is(want, resolver.ErrNotFound), errors.Is(got, resolver.ErrNotFound), "%v: not found", req)
	assert.Equal(t, want.Error(), got.Error(), "%v", req)
}
