package gcpsecretmanager_test

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/secretpath/secretpath/builtin/gcpsecretmanager"
	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
)

// newFake starts a fake in an isolated Google environment whose metadata
// server is the fake's, so that Application Default Credentials come from
// it.
func newFake(t *testing.T) *gcpfake.Server {
	t.Helper()
	f := gcpfake.New(t)
	gcpfake.Isolate(t, f)
	return f
}

// openKwargs builds the backend through the registry, as a config file does.
func openKwargs(t *testing.T, kw map[string]any) (resolver.Backend, error) {
	t.Helper()
	return testutil.OpenKwargs(t, gcpsecretmanager.Name, kw)
}

func mustOpen(t *testing.T, kw map[string]any) resolver.Backend {
	t.Helper()
	b, err := openKwargs(t, kw)
	require.NoError(t, err)
	return b
}

// fakeKwargs points a backend at f (credentials and project from the
// environment: the fake's metadata server), plus extra.
func fakeKwargs(f *gcpfake.Server, extra map[string]any) map[string]any {
	kw := map[string]any{"endpoint": f.URL}
	maps.Copy(kw, extra)
	return kw
}

// staticToken is a token the tests' fakes are told to accept.
const staticToken = "ya29.static-test-token"

// newGo builds the backend through the Go API against f with a static
// token, fast retries and logs into the returned buffer.
func newGo(t *testing.T, f *gcpfake.Server, o gcpsecretmanager.Options) (*gcpsecretmanager.Backend, *logBuffer) {
	t.Helper()
	f.AllowToken(staticToken)
	logs := &logBuffer{}
	if o.Credentials == nil && !o.WithoutAuthentication {
		o.Credentials = &google.Credentials{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: staticToken})}
	}
	if o.ProjectID == "" {
		o.ProjectID = gcpfake.ProjectID
	}
	o.Endpoint = f.URL
	o.RetryDelay = time.Millisecond
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := gcpsecretmanager.New(t.Context(), o)
	require.NoError(t, err)
	return b, logs
}

func lookup(ctx context.Context, b resolver.Backend, kind resolver.Kind, id string) (string, error) {
	return b.Lookup(ctx, resolver.Request{Kind: kind, ID: id})
}

// logBuffer collects log output; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Reset()
}
