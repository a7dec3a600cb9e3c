package gcpsecretmanager_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/secretpath/secretpath/builtin/gcpsecretmanager"
	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/resolver"
)

// stallingTokens is a token source that never answers until released.
type stallingTokens struct{ release chan struct{} }

func (s stallingTokens) Token() (*oauth2.Token, error) {
	<-s.release
	return nil, errors.New("released")
}

// TestHonoursContext: the backend promises to return once ctx is done
// with a net/http Transport, not with a RoundTripper of the caller's own.
func TestHonoursContext(t *testing.T) {
	for _, tc := range []struct {
		name string
		hc   *http.Client
		want bool
	}{
		{"own client", nil, true},
		{"caller's client with nil Transport", &http.Client{}, true},
		{"caller's *http.Transport", &http.Client{Transport: &http.Transport{}}, true},
		{"caller's RoundTripper", &http.Client{Transport: kittest.StallingTransport{}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := gcpsecretmanager.New(context.Background(), gcpsecretmanager.Options{
				ProjectID: "p", WithoutAuthentication: true, Endpoint: "http://127.0.0.1:1", HTTPClient: tc.hc,
			})
			require.NoError(t, err)
			assert.Equal(t, tc.want, b.HonoursContext())
		})
	}
}

// TestLookupEndsWithContext: a lookup of a backend that declares the
// promise ends with the caller's cancellation while the service never
// answers, while it waits to retry after a 503, and while its token source
// never answers. The bound is a hang detector, not a timing assertion.
func TestLookupEndsWithContext(t *testing.T) {
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(unavailable.Close)
	tokens := stallingTokens{release: make(chan struct{})}
	t.Cleanup(func() { close(tokens.release) })
	for _, tc := range []struct {
		name string
		o    gcpsecretmanager.Options
	}{
		{"service never answers", gcpsecretmanager.Options{Endpoint: kittest.SilentServer(t), WithoutAuthentication: true}},
		{"waiting to retry", gcpsecretmanager.Options{Endpoint: unavailable.URL, WithoutAuthentication: true,
			MaxAttempts: 5, RetryDelay: 10 * time.Minute}},
		{"token source never answers", gcpsecretmanager.Options{Endpoint: unavailable.URL,
			Credentials: &google.Credentials{TokenSource: tokens}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.ProjectID, tc.o.Timeout = "p", time.Hour
			b, err := gcpsecretmanager.New(context.Background(), tc.o)
			require.NoError(t, err)
			require.True(t, b.HonoursContext())
			for _, req := range []resolver.Request{{Kind: resolver.KindConnection, ID: "c"}, {Kind: resolver.KindVariable, ID: "v"}} {
				kittest.EndsWithContext(t, fmt.Sprint(req.Kind), func(ctx context.Context) error {
					_, err := b.Lookup(ctx, req)
					return err
				})
			}
		})
	}
}
