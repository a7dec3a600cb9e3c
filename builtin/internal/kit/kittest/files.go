package kittest

import (
	"testing"
	"time"
)

// Returns runs fn in a goroutine and returns its error, failing the test
// if fn has not returned halfway to the test binary's own deadline
// (go test -timeout): for calls that must not block (a named pipe given as
// a credential file), so that a regression is one failed test and not the
// whole binary's timeout panic. It makes no assertion about time.
func Returns(t *testing.T, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	var expire <-chan time.Time
	if dl, ok := t.Deadline(); ok {
		timer := time.NewTimer(time.Until(dl) / 2)
		defer timer.Stop()
		expire = timer.C
	}
	select {
	case err := <-done:
		return err
	case <-expire:
		t.Fatal("the call blocked (given up halfway to the test's deadline)")
		return nil
	}
}
