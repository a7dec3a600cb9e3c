package resolver

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/secretpath/secretpath/resolver/codes"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

func TestCode(t *testing.T) {
	down := codes.Wrap(codes.Unavailable, errors.New("503"))
	tests := []struct {
		name string
		err  error
		want codes.Code
	}{
		{"nil", nil, codes.OK},
		{"not found", fmt.Errorf("tier: %w", ErrNotFound), codes.NotFound},
		{"clean miss", &NotFoundError{Kind: KindVariable, ID: "k"}, codes.NotFound},
		{"miss after a failing tier", &NotFoundError{Errs: []*TierError{{Tier: "aws", Err: down}}}, codes.Unavailable},
		{"marked by a backend", fmt.Errorf("backend x: %w", down), codes.Unavailable},
		{"a mark wins over a sentinel", codes.Wrap(codes.Unimplemented, ErrNotFound), codes.Unimplemented},
		{"permission denied", &TierError{Tier: "v", Err: fmt.Errorf("403: %w", ErrPermissionDenied)}, codes.PermissionDenied},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{"tier timeout", &tierTimeoutError{err: errors.New("slow")}, codes.DeadlineExceeded},
		{"canceled", context.Canceled, codes.Canceled},
		{"invalid id", fmt.Errorf("%w: too long", ErrInvalidID), codes.InvalidArgument},
		{"invalid connection", fmt.Errorf("%w: port", connection.ErrInvalid), codes.InvalidArgument},
		{"configuration", fmt.Errorf("%w: kwargs", config.ErrInvalid), codes.InvalidArgument},
		{"anything else", errors.New("boom"), codes.Internal},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Code(tt.err), tt.name)
	}
}

func TestTierErrorNamesTheTierOnce(t *testing.T) {
	for _, tt := range []struct{ tier, err, want string }{
		{"localfs", "localfs: reading c.json: no such file", "localfs: reading c.json: no such file"},
		{"vault", "permission denied", "vault: permission denied"},
		{"env", "envelope: x", "env: envelope: x"},
	} {
		assert.Equal(t, tt.want, (&TierError{Tier: tt.tier, Err: errors.New(tt.err)}).Error())
	}
}
