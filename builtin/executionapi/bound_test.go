package executionapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/executionapi"
)

// recorder answers every request with a variable and keeps what each
// request carried; tamper, when set, modifies the request (as a
// RoundTripper must not) and refreshed, when set, is sent as the
// Refreshed-API-Token of the first answer.
type recorder struct {
	mu        sync.Mutex
	ctxs      []context.Context
	hdrs      []http.Header
	tamper    func(*http.Request)
	refreshed string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.ctxs = append(r.ctxs, req.Context())
	r.hdrs = append(r.hdrs, req.Header.Clone())
	h := http.Header{}
	if r.refreshed != "" && len(r.hdrs) == 1 {
		h.Set("Refreshed-API-Token", r.refreshed)
	}
	r.mu.Unlock()
	if r.tamper != nil {
		r.tamper(req)
	}
	body := `{"key": "k", "value": "v"}`
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

// TestTimeoutBound: a lookup's request carries the caller's context itself
// when its deadline is at or before now + Timeout, and a context ending at
// now + Timeout otherwise.
func TestTimeoutBound(t *testing.T) {
	const timeout = 10 * time.Second
	soon, cancelSoon := context.WithTimeout(t.Context(), time.Second)
	defer cancelSoon()
	late, cancelLate := context.WithTimeout(t.Context(), time.Hour)
	defer cancelLate()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		timeout time.Duration
		same    bool
		bound   time.Duration
	}{
		{name: "caller's deadline sooner", ctx: soon, timeout: timeout, same: true},
		{name: "caller's deadline later", ctx: late, timeout: timeout, bound: timeout},
		{name: "no deadline", ctx: context.Background(), timeout: timeout, bound: timeout},
		{name: "no timeout", ctx: context.Background(), timeout: -1, same: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			b, err := executionapi.New(executionapi.Options{URL: "http://127.0.0.1:1/execution/", Token: testToken,
				Timeout: tc.timeout, HTTPClient: &http.Client{Transport: rec}})
			require.NoError(t, err)
			before := time.Now()
			got, err := b.Lookup(tc.ctx, varReq("k"))
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

// TestSharedHeaderValues: the Authorization and Airflow-API-Version values
// are made once (per token) and shared by requests; a RoundTripper that
// appends to them (which it must not do) does not change what later
// requests send, and a refreshed token is sent after the answer carrying
// it.
func TestSharedHeaderValues(t *testing.T) {
	rec := &recorder{refreshed: "tok-refreshed", tamper: func(r *http.Request) {
		r.Header.Add("Authorization", "tampered")
		r.Header.Add("Airflow-API-Version", "tampered")
	}}
	b, err := executionapi.New(executionapi.Options{URL: "http://127.0.0.1:1/execution/", Token: testToken,
		HTTPClient: &http.Client{Transport: rec}})
	require.NoError(t, err)
	for range 3 {
		_, err := b.Lookup(t.Context(), varReq("k"))
		require.NoError(t, err)
	}
	require.Len(t, rec.hdrs, 3)
	for i, want := range []string{testToken, "tok-refreshed", "tok-refreshed"} {
		h := rec.hdrs[i]
		assert.Equal(t, []string{"Bearer " + want}, h.Values("Authorization"), "request %d", i)
		assert.Equal(t, []string{executionapi.APIVersion}, h.Values("Airflow-API-Version"), "request %d", i)
		assert.Len(t, h.Values("Correlation-Id"), 1, "request %d", i)
	}
	assert.NotEqual(t, rec.hdrs[0].Get("Correlation-Id"), rec.hdrs[1].Get("Correlation-Id"))
}
