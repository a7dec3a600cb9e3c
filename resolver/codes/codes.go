// Package codes names how a lookup ended, one word per cause, shared by
// the search path (resolver.Code classifies any error), the WebAssembly
// ABI (its status codes are a subset, with the same numbers) and the
// vendors' backends (which wrap a service's error with the code it
// means). It imports nothing of this module.
//
// The mapping, by cause:
//
//	code               ABI v1 status        errors
//	OK                 0 OK                 nil
//	NotFound           1 NOT_FOUND          resolver.ErrNotFound (no tier holds the id)
//	InvalidArgument    2 INVALID_ARGUMENT   resolver.ErrInvalidID, connection.ErrInvalid (a value that does not parse), config.ErrInvalid
//	Unavailable        3 UNAVAILABLE        a service that did not answer: refused connection, 5xx, throttling
//	PermissionDenied   4 PERMISSION_DENIED  resolver.ErrPermissionDenied (401/403 and the services' access-denied errors)
//	Internal           5 INTERNAL           anything not classified (a trapped guest, an ABI violation, a bug)
//	Unimplemented      6 UNIMPLEMENTED      a backend that does not serve the kind asked for
//	ResourceExhausted  7 RESOURCE_EXHAUSTED a limit hit: a guest's fuel, memory or output bound
//	DeadlineExceeded   -                    context.DeadlineExceeded, a tier timeout
//	Canceled           -                    context.Canceled
package codes

import (
	"errors"
	"fmt"
)

// Code is how a lookup ended. Values 0-7 are ABI v1's status codes.
type Code uint32

// The codes.
const (
	OK                Code = 0
	NotFound          Code = 1
	InvalidArgument   Code = 2
	Unavailable       Code = 3
	PermissionDenied  Code = 4
	Internal          Code = 5
	Unimplemented     Code = 6
	ResourceExhausted Code = 7
	// DeadlineExceeded and Canceled have no ABI status: a guest's time
	// limit is ResourceExhausted, and cancellation is the caller's.
	DeadlineExceeded Code = 100
	Canceled         Code = 101
)

var names = map[Code]string{
	OK: "ok", NotFound: "not_found", InvalidArgument: "invalid_argument", Unavailable: "unavailable",
	PermissionDenied: "permission_denied", Internal: "internal", Unimplemented: "unimplemented",
	ResourceExhausted: "resource_exhausted", DeadlineExceeded: "deadline_exceeded", Canceled: "canceled",
}

// String returns the code's snake_case name ("not_found"), as metrics and
// logs use it.
func (c Code) String() string {
	if n, ok := names[c]; ok {
		return n
	}
	return fmt.Sprintf("code(%d)", uint32(c))
}

// Error is an error that says which code it means. Wrap a service's error
// with [Wrap]; errors.As finds it through other wrapping.
type Error struct {
	Code Code
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// Wrap returns err marked with code (nil for a nil err). The message is
// err's, unchanged.
func Wrap(code Code, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Marked returns the code of the outermost *Error in err's chain, and
// whether there is one.
func Marked(err error) (Code, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, true
	}
	return 0, false
}
