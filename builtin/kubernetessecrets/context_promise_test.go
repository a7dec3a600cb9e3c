package kubernetessecrets_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/builtin/kubernetessecrets"
	"github.com/secretpath/secretpath/resolver"
)

// TestHonoursContext: the backend promises to return once ctx is done
// with a token value (or none) and a net/http Transport; not with a token
// file (read without a context) or a RoundTripper of the caller's own.
func TestHonoursContext(t *testing.T) {
	tokenFile := writeTemp(t, "token", "a-token\n")
	for _, tc := range []struct {
		name string
		c    kubernetessecrets.Cluster
		hc   *http.Client
		want bool
	}{
		{"token, own client", kubernetessecrets.Cluster{Token: "a-token"}, nil, true},
		{"no credential, own client", kubernetessecrets.Cluster{}, nil, true},
		{"token, caller's *http.Transport", kubernetessecrets.Cluster{Token: "a-token"}, &http.Client{Transport: &http.Transport{}}, true},
		{"token, caller's client with nil Transport", kubernetessecrets.Cluster{Token: "a-token"}, &http.Client{}, true},
		{"token, caller's RoundTripper", kubernetessecrets.Cluster{Token: "a-token"}, &http.Client{Transport: kittest.StallingTransport{}}, false},
		{"token file", kubernetessecrets.Cluster{TokenFile: tokenFile}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Server, tc.c.Namespace = "http://127.0.0.1:1", "default"
			b, err := kubernetessecrets.New(context.Background(), kubernetessecrets.Options{Cluster: tc.c, HTTPClient: tc.hc})
			require.NoError(t, err)
			assert.Equal(t, tc.want, b.HonoursContext())
		})
	}
}

// TestLookupEndsWithContext: a lookup of a backend that declares the
// promise ends with the caller's cancellation while the API server never
// answers. The bound is a hang detector, not a timing assertion.
func TestLookupEndsWithContext(t *testing.T) {
	b, err := kubernetessecrets.New(context.Background(), kubernetessecrets.Options{
		Cluster: kubernetessecrets.Cluster{Server: kittest.SilentServer(t), Namespace: "default", Token: "a-token"},
		Timeout: time.Hour,
	})
	require.NoError(t, err)
	require.True(t, b.HonoursContext())
	for _, req := range []resolver.Request{{Kind: resolver.KindConnection, ID: "c"}, {Kind: resolver.KindVariable, ID: "v"}} {
		kittest.EndsWithContext(t, fmt.Sprint(req.Kind), func(ctx context.Context) error {
			_, err := b.Lookup(ctx, req)
			return err
		})
	}
}
