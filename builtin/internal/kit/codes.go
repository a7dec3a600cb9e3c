package kit

import (
	"context"
	"errors"
	"syscall"

	"github.com/secretpath/secretpath/resolver/codes"
)

// Unavailable marks err with codes.Unavailable (its text unchanged): the
// service did not answer the lookup, because it was throttling, failing
// (5xx) or not reachable. A backend calls it where its vendor's table says
// so, and never for an answer meaning "not found" or "permission denied"
// (the resolver's sentinels say those). An error that is, or wraps, the
// context's is left as it is: the resolver classifies it as
// deadline_exceeded or canceled. nil stays nil.
func Unavailable(err error) error {
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return codes.Wrap(codes.Unavailable, err)
}

// unanswered are the errors of a dial or a read that got no answer; a
// platform adds its own (unanswered_windows.go).
var unanswered = append([]syscall.Errno{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EHOSTUNREACH, syscall.ENETUNREACH}, platformUnanswered...)

// Unanswered reports whether err says that a request got no answer because
// the service could not be reached: the connection was refused or reset,
// or the host or network was unreachable. A timeout is not one (it is the
// context's, or the client's own).
func Unanswered(err error) bool {
	for _, errno := range unanswered {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}
