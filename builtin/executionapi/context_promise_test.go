package executionapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/executionapi"
	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/resolver"
)

// roundTripFunc is a RoundTripper of the caller's own.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestHonoursContext: the backend promises to return once ctx is done with
// a fixed token and a net/http Transport; not with a token file (read
// without a context) or a RoundTripper of the caller's own.
func TestHonoursContext(t *testing.T) {
	isolate(t)
	tokenFile := writeToken(t, t.TempDir(), testToken)
	for _, tc := range []struct {
		name string
		o    executionapi.Options
		want bool
	}{
		{"token, own client", executionapi.Options{Token: testToken}, true},
		{"token, caller's client with nil Transport", executionapi.Options{Token: testToken, HTTPClient: &http.Client{}}, true},
		{"token, caller's *http.Transport", executionapi.Options{Token: testToken, HTTPClient: &http.Client{Transport: &http.Transport{}}}, true},
		{"token, caller's RoundTripper", executionapi.Options{Token: testToken, HTTPClient: &http.Client{
			Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { select {} })}}, false},
		{"token file", executionapi.Options{TokenFile: tokenFile}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.URL = "http://127.0.0.1:1/execution/"
			b, err := executionapi.New(tc.o)
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.Close() })
			assert.Equal(t, tc.want, b.HonoursContext())
		})
	}
}

// TestLookupEndsWithContext: a lookup of a backend that declares the
// promise ends with the caller's cancellation while the server never
// answers, and while it waits to retry after a 503. The bound is a hang
// detector, not a timing assertion.
func TestLookupEndsWithContext(t *testing.T) {
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(unavailable.Close)
	for _, tc := range []struct {
		name string
		url  string
	}{
		{"server never answers", kittest.SilentServer(t) + "/execution/"},
		{"waiting to retry", unavailable.URL + "/execution/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := executionapi.New(executionapi.Options{URL: tc.url, Token: testToken, Timeout: time.Hour, RetryWait: time.Minute})
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.Close() })
			require.True(t, b.HonoursContext())
			for _, req := range []resolver.Request{connReq("c"), varReq("v")} {
				kittest.EndsWithContext(t, fmt.Sprint(req.Kind), func(ctx context.Context) error {
					_, err := b.Lookup(ctx, req)
					return err
				})
			}
		})
	}
}
