package gcpsecretmanager_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/secretpath/secretpath/builtin/gcpsecretmanager"
	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/resolver"
)

// recorder answers every request with one AccessSecretVersion response and
// keeps what each request carried.
type recorder struct {
	mu   sync.Mutex
	ctxs []context.Context
	hdrs []http.Header
	// tamper, when set, modifies the request (as a RoundTripper must not).
	tamper func(*http.Request)
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.ctxs = append(r.ctxs, req.Context())
	r.hdrs = append(r.hdrs, req.Header.Clone())
	r.mu.Unlock()
	if r.tamper != nil {
		r.tamper(req)
	}
	body := `{"name": "projects/p/secrets/s/versions/1", "payload": {"data": "` + base64.StdEncoding.EncodeToString([]byte("v")) + `"}}`
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

// TestTimeoutBound: a lookup's requests carry the caller's context itself
// when its deadline is at or before now + Timeout (the backend's timeout
// could not end it sooner), and a context ending at now + Timeout
// otherwise.
func TestTimeoutBound(t *testing.T) {
	gcpfake.Isolate(t, nil)
	const timeout = 10 * time.Second
	soon, cancelSoon := context.WithTimeout(t.Context(), time.Second)
	defer cancelSoon()
	late, cancelLate := context.WithTimeout(t.Context(), time.Hour)
	defer cancelLate()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		timeout time.Duration
		same    bool // the request's context is tc.ctx
		bound   time.Duration
	}{
		{name: "caller's deadline sooner", ctx: soon, timeout: timeout, same: true},
		{name: "caller's deadline later", ctx: late, timeout: timeout, bound: timeout},
		{name: "no deadline", ctx: context.Background(), timeout: timeout, bound: timeout},
		{name: "no timeout", ctx: context.Background(), timeout: -1, same: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			b, err := gcpsecretmanager.New(t.Context(), gcpsecretmanager.Options{
				ProjectID: "p", WithoutAuthentication: true, Endpoint: "http://127.0.0.1:1",
				HTTPClient: &http.Client{Transport: rec}, Timeout: tc.timeout,
			})
			require.NoError(t, err)
			before := time.Now()
			got, err := b.Lookup(tc.ctx, resolver.Request{Kind: resolver.KindVariable, ID: "x"})
			require.NoError(t, err)
			assert.Equal(t, "v", got)
			require.Len(t, rec.ctxs, 1)
			sent := rec.ctxs[0]
			if tc.same {
				assert.True(t, sent == tc.ctx, "the request's context is not the caller's")
				return
			}
			dl, ok := sent.Deadline()
			require.True(t, ok, "the request has no deadline")
			assert.False(t, dl.Before(before.Add(tc.bound)) || dl.After(time.Now().Add(tc.bound)), "deadline %v, want now + %v", dl, tc.bound)
			assert.ErrorIs(t, sent.Err(), context.Canceled, "the lookup's context was not released")
		})
	}
}

// TestAuthorizationPerToken: each request carries the token the source
// gave last (a new one once the old expires), spelled as oauth2 spells its
// type; a RoundTripper that appends to the request's header values (which
// it must not do) does not change what later requests send.
func TestAuthorizationPerToken(t *testing.T) {
	gcpfake.Isolate(t, nil)
	for _, tc := range []struct {
		typ, want string
	}{
		{"", "Bearer"},
		{"bearer", "Bearer"},
		{"mac", "MAC"},
		{"Custom", "Custom"},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			n := 0
			// Tokens expiring within oauth2's 10 s margin are invalid at
			// once: every lookup gets a new one.
			src := tokenFunc(func() (*oauth2.Token, error) {
				n++
				return &oauth2.Token{AccessToken: "tok" + strings.Repeat("x", n), TokenType: tc.typ, Expiry: time.Now().Add(5 * time.Second)}, nil
			})
			rec := &recorder{tamper: func(r *http.Request) {
				r.Header.Add("Authorization", "tampered")
				r.Header.Add("User-Agent", "tampered")
			}}
			b, err := gcpsecretmanager.New(t.Context(), gcpsecretmanager.Options{
				ProjectID: "p", Credentials: &google.Credentials{TokenSource: src}, Endpoint: "http://127.0.0.1:1",
				HTTPClient: &http.Client{Transport: rec},
			})
			require.NoError(t, err)
			for range 3 {
				_, err := b.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "x"})
				require.NoError(t, err)
			}
			require.Len(t, rec.hdrs, 3)
			for i, h := range rec.hdrs {
				assert.Equal(t, []string{tc.want + " tok" + strings.Repeat("x", i+1)}, h.Values("Authorization"), "request %d", i)
				assert.Equal(t, []string{"secretpath/gcp-secret-manager"}, h.Values("User-Agent"), "request %d", i)
			}
		})
	}
}

type tokenFunc func() (*oauth2.Token, error)

func (f tokenFunc) Token() (*oauth2.Token, error) { return f() }
