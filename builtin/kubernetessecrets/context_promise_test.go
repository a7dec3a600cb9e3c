package kubernetessecrets_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/kubernetessecrets"
	"github.com/secretpath/secretpath/resolver"
)

// stallingTransport is a RoundTripper of the caller's own.
type stallingTransport struct{}

func (stallingTransport) RoundTrip(*http.Request) (*http.Response, error) { select {} }

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
		{"token, caller's RoundTripper", kubernetessecrets.Cluster{Token: "a-token"}, &http.Client{Transport: stallingTransport{}}, false},
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

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
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

// TestLookupEndsWithContext: a lookup of a backend that declares the
// promise ends with the caller's cancellation while the API server never
// answers. The bound is a hang detector, not a timing assertion.
func TestLookupEndsWithContext(t *testing.T) {
	b, err := kubernetessecrets.New(context.Background(), kubernetessecrets.Options{
		Cluster: kubernetessecrets.Cluster{Server: silentServer(t), Namespace: "default", Token: "a-token"},
		Timeout: time.Hour,
	})
	require.NoError(t, err)
	require.True(t, b.HonoursContext())
	for _, req := range []resolver.Request{{Kind: resolver.KindConnection, ID: "c"}, {Kind: resolver.KindVariable, ID: "v"}} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		done := make(chan error, 1)
		go func() {
			_, err := b.Lookup(ctx, req)
			done <- err
		}()
		select {
		case err := <-done:
			assert.True(t, errors.Is(err, context.Canceled), "%v: %v", req.Kind, err)
		case <-time.After(10 * time.Second):
			t.Fatalf("%v: Lookup did not return 10 s after its context was cancelled", req.Kind)
		}
		cancel()
	}
}
