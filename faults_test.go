package secretpath_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/secretpath/secretpath/internal/awsfake"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// noLeak checks, after every other cleanup of the test has run, that the
// test left no goroutine behind.
func noLeak(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// hangingHTTP answers no request: each waits until its client gives up.
// It reads the body first: the server notices a client hanging up only
// once the body has been read.
func hangingHTTP(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// hangingTCP accepts connections and never writes a byte (a database that
// stopped answering).
func hangingTCP(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

const faultSecret = "Pl4nted-remote-pw"

// ssmConfig is a config file whose configured backend is AWS SSM at
// endpoint, with extra lines appended to [secrets].
func ssmConfig(t *testing.T, endpoint, extra string) *config.File {
	cfg, err := config.Parse("faults.cfg", []byte(fmt.Sprintf(`[secrets]
backend = aws-ssm
backend_kwargs = {"endpoint_url": %q, "region_name": "us-east-1",
                  "aws_access_key_id": "AKIDFAULTS", "aws_secret_access_key": "faults-key"}
%s
`, endpoint, extra)), nil)
	require.NoError(t, err)
	return cfg
}

// TestRemoteFaultsFallThrough: an AWS backend that is down, too slow,
// throttling, failing with 5xx or sending garbage does not stop the search:
// the environment answers what it holds, and a miss reports the remote
// failure (in the error and the log, without any value).
func TestRemoteFaultsFallThrough(t *testing.T) {
	tests := []struct {
		name     string
		endpoint func(t *testing.T, f *awsfake.Server) string
		extra    string
		wantErr  string
	}{
		{name: "down", endpoint: func(t *testing.T, _ *awsfake.Server) string { return "http://" + closedPort(t) },
			extra: "tier_timeout_seconds = 30", wantErr: "connection refused"},
		{name: "slow past the tier timeout", endpoint: func(t *testing.T, _ *awsfake.Server) string { return hangingHTTP(t) },
			extra: "tier_timeout_seconds = 1", wantErr: "no answer within the tier timeout of 1s"},
		{name: "throttling", endpoint: func(t *testing.T, f *awsfake.Server) string {
			f.AddFault(awsfake.Fault{Code: "ThrottlingException", Message: "Rate exceeded"})
			return f.URL
		}, extra: "tier_timeout_seconds = 60", wantErr: "ThrottlingException"},
		{name: "5xx", endpoint: func(t *testing.T, f *awsfake.Server) string {
			f.AddFault(awsfake.Fault{Code: "InternalServerError", Status: http.StatusInternalServerError})
			return f.URL
		}, extra: "tier_timeout_seconds = 60", wantErr: "InternalServerError"},
		{name: "malformed response", endpoint: func(t *testing.T, f *awsfake.Server) string {
			f.AddFault(awsfake.Fault{Body: `{"Parameter": {"Value": "` + faultSecret + `"`})
			return f.URL
		}, extra: "tier_timeout_seconds = 60", wantErr: "could not be decoded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeak(t)
			awsfake.Isolate(t)
			f := awsfake.New(t)
			f.PutParameter("/airflow/connections/remote_only", "postgres://u:"+faultSecret+"@db/x", awsfake.SecureString)
			f.PutParameter("/airflow/connections/both", "postgres://u:"+faultSecret+"@remote/x", awsfake.SecureString)
			t.Setenv("AIRFLOW_CONN_BOTH", "http://env-host")
			var logs bytes.Buffer
			r, err := resolver.Open(t.Context(), ssmConfig(t, tt.endpoint(t, f), tt.extra),
				resolver.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			require.NoError(t, err)
			t.Cleanup(func() { r.Close() })
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a hang fails the test, not CI
			defer cancel()

			c, err := r.Connection(ctx, "both")
			require.NoError(t, err)
			assert.Equal(t, "env-host", c.Host, "the environment answered after the failing tier")

			_, err = r.Connection(ctx, "remote_only")
			var nf *resolver.NotFoundError
			require.ErrorAs(t, err, &nf)
			require.Len(t, nf.Errs, 1)
			assert.Equal(t, "aws-ssm", nf.Errs[0].Tier)
			assert.ErrorContains(t, err, tt.wantErr)
			assert.NoError(t, ctx.Err())
			assert.Contains(t, logs.String(), "backend=aws-ssm")
			assert.Contains(t, logs.String(), tt.wantErr)
			assert.NotContains(t, logs.String()+err.Error(), faultSecret)
		})
	}
}

// TestStaleWhileDown: with the cache on and a stale grace, a value fetched
// while the backend was up is served after its TTL while the backend
// fails, with a warning; once the backend is back, fresh values return.
func TestStaleWhileDown(t *testing.T) {
	noLeak(t)
	awsfake.Isolate(t)
	f := awsfake.New(t)
	f.PutParameter("/airflow/connections/db", "postgres://u:"+faultSecret+"@db-v1/x", awsfake.SecureString)
	var logs bytes.Buffer
	r, err := resolver.Open(t.Context(), ssmConfig(t, f.URL, "use_cache = true\ncache_ttl_seconds = 1\nstale_grace_seconds = 600"),
		resolver.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	ctx := t.Context()

	c, err := r.Connection(ctx, "db")
	require.NoError(t, err)
	require.Equal(t, "db-v1", c.Host)

	f.AddFault(awsfake.Fault{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable})
	time.Sleep(1100 * time.Millisecond) // let the 1 s TTL pass
	c, err = r.Connection(ctx, "db")
	require.NoError(t, err, "the stale answer covers the outage")
	assert.Equal(t, "db-v1", c.Host)
	assert.Contains(t, logs.String(), "serving the cached answer past its TTL")
	assert.Contains(t, logs.String(), "ServiceUnavailable")
	assert.NotContains(t, logs.String(), faultSecret)

	f.ClearFaults()
	f.PutParameter("/airflow/connections/db", "postgres://u:"+faultSecret+"@db-v2/x", awsfake.SecureString)
	c, err = r.Connection(ctx, "db")
	require.NoError(t, err)
	assert.Equal(t, "db-v2", c.Host, "the backend is back: a fresh answer")
}

// TestFailClosedStops: a permission refusal with fail-closed stops the
// search; the environment, which holds the id, is not consulted.
func TestFailClosedStops(t *testing.T) {
	noLeak(t)
	awsfake.Isolate(t)
	f := awsfake.New(t)
	f.AddFault(awsfake.Fault{Code: "AccessDeniedException", Message: "not authorized to perform: ssm:GetParameter"})
	t.Setenv("AIRFLOW_CONN_BOTH", "http://env-host")
	r, err := resolver.Open(t.Context(), ssmConfig(t, f.URL, ""), resolver.WithFailClosed(), resolver.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	_, err = r.Connection(t.Context(), "both")
	require.ErrorIs(t, err, resolver.ErrPermissionDenied)
	assert.NotErrorIs(t, err, resolver.ErrNotFound)
	assert.ErrorContains(t, err, "aws-ssm")

	r2, err := resolver.Open(t.Context(), ssmConfig(t, f.URL, ""), resolver.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	t.Cleanup(func() { r2.Close() })
	c, err := r2.Connection(t.Context(), "both")
	require.NoError(t, err, "without fail-closed the search goes on")
	assert.Equal(t, "env-host", c.Host)
}

// TestCancellationAtEveryTier: a lookup whose context is cancelled while a
// tier hangs (a silent AWS endpoint, a PostgreSQL metastore that accepts
// and never answers, a WebAssembly guest in an endless loop) returns the
// context's error promptly, and nothing is left running once the resolver
// is closed. A context cancelled before the lookup stops it at once,
// whatever the tiers.
func TestCancellationAtEveryTier(t *testing.T) {
	loop := filepath.Join(testutil.RepoRoot(), "wasmhost", "testdata", "loop_lookup.wasm")
	tests := []struct {
		name   string
		config func(t *testing.T) string
	}{
		{name: "aws-ssm", config: func(t *testing.T) string {
			return fmt.Sprintf(`[secrets]
backend = aws-ssm
backend_kwargs = {"endpoint_url": %q, "region_name": "us-east-1", "aws_access_key_id": "AKID", "aws_secret_access_key": "k", "timeout_seconds": 600}
`, hangingHTTP(t))
		}},
		{name: "postgres metastore", config: func(t *testing.T) string {
			return "[database]\nsql_alchemy_conn = postgresql://airflow@" + hangingTCP(t) + "/airflow\n"
		}},
		{name: "wasm guest", config: func(t *testing.T) string {
			return "[secrets]\nbackend = " + loop + "\n[wasm]\ncall_timeout_seconds = 600\n"
		}},
		{name: "localfs, env and sqlite", config: func(t *testing.T) string {
			conns := filepath.Join(t.TempDir(), "c.json")
			require.NoError(t, os.WriteFile(conns, []byte(`{}`), 0o600))
			return fmt.Sprintf("[secrets]\nbackend = localfs\nbackend_kwargs = {\"connections_file_path\": %q}\n", conns)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeak(t)
			awsfake.Isolate(t)
			cfg, err := config.Parse("c.cfg", []byte(tt.config(t)), nil)
			require.NoError(t, err)
			r, err := resolver.Open(t.Context(), cfg, resolver.WithLogger(slog.New(slog.DiscardHandler)))
			require.NoError(t, err)
			t.Cleanup(func() { r.Close() })

			pre, cancelPre := context.WithCancel(t.Context())
			cancelPre()
			_, err = r.Connection(pre, "x")
			assert.ErrorIs(t, err, context.Canceled, "a cancelled context stops the lookup before any tier")

			if tt.name == "localfs, env and sqlite" {
				return // these tiers never block
			}
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(100*time.Millisecond, cancel)
			done := make(chan error, 1)
			go func() { _, err := r.Connection(ctx, "x"); done <- err }()
			select {
			case err = <-done:
			case <-time.After(time.Minute): // a liveness bound, not a timing assertion
				t.Fatal("the lookup did not return after its context was cancelled")
			}
			require.Error(t, err)
			assert.True(t, errors.Is(err, context.Canceled), "want the context's error, got %v", err)
			assert.False(t, strings.Contains(err.Error(), "not found"), err.Error())
		})
	}
}
