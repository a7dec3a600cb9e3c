package resolver

import (
	"context"
	"errors"

	"github.com/secretpath/secretpath/resolver/codes"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

// Code classifies err (see package codes for the table): a code a backend
// marked it with (codes.Wrap) first, then this module's sentinel errors and
// the context's. A *NotFoundError whose tiers failed is the first failing
// tier's code; one where every tier answered "not found" is NotFound.
// Anything else is codes.Internal; nil is codes.OK.
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	var nf *NotFoundError
	if errors.As(err, &nf) {
		if len(nf.Errs) > 0 {
			return Code(nf.Errs[0].Err)
		}
		return codes.NotFound
	}
	if c, ok := codes.Marked(err); ok {
		return c
	}
	var tt *tierTimeoutError
	switch {
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &tt):
		return codes.DeadlineExceeded
	case errors.Is(err, ErrPermissionDenied):
		return codes.PermissionDenied
	case errors.Is(err, ErrNotFound):
		return codes.NotFound
	case errors.Is(err, ErrInvalidID), errors.Is(err, connection.ErrInvalid), errors.Is(err, config.ErrInvalid):
		return codes.InvalidArgument
	}
	return codes.Internal
}
