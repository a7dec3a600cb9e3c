package kittest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"
)

// StallingTransport is an http.RoundTripper that never returns, not even
// when the request's context is done: a caller's RoundTripper that ignores
// ctx, for checking that a backend given one makes no HonoursContext
// promise.
type StallingTransport struct{}

// RoundTrip blocks forever.
func (StallingTransport) RoundTrip(*http.Request) (*http.Response, error) { select {} }

// SilentServer listens on loopback, accepts connections and never answers
// on them (until the test ends). It returns "http://127.0.0.1:PORT".
func SilentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	return "http://" + ln.Addr().String()
}

// EndsWithContext checks a backend's HonoursContext promise on one call:
// it runs call with a context cancelled 50 ms later and fails the test
// unless call returns an error matching context.Canceled within 10 s (a
// hang detector, not a timing assertion). what names the call in failures.
func EndsWithContext(t *testing.T, what string, call func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(50*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: got %v, want an error matching context.Canceled", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: did not return 10 s after its context was cancelled", what)
	}
}
