package executionapi_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/env"
	"github.com/secretpath/secretpath/builtin/executionapi"
	"github.com/secretpath/secretpath/internal/execapifake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/codes"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestWire: the requests a lookup makes, as the task SDK's client makes
// them: the route, the escaped id, the bearer token and the newest API
// version; never the team.
func TestWire(t *testing.T) {
	f := execapifake.New(t, testToken)
	b := newGo(t, f, executionapi.Options{})
	tests := []struct {
		req             resolver.Request
		rawPath, path   string
		describeWithout string
	}{
		{req: connReq("smtp_default"), rawPath: "/execution/connections/smtp_default"},
		{req: varReq("hello"), rawPath: "/execution/variables/hello"},
		{req: resolver.Request{Kind: resolver.KindVariable, ID: "hello", Team: "team_a"}, rawPath: "/execution/variables/hello"},
		{req: varReq("a/b c?d#e%f"), rawPath: "/execution/variables/a%2Fb%20c%3Fd%23e%25f", path: "/execution/variables/a/b c?d#e%f"},
		{req: varReq(".."), rawPath: "/execution/variables/%2E%2E", path: "/execution/variables/.."},
		{req: connReq("db.main-1"), rawPath: "/execution/connections/db.main-1"},
	}
	correlationIDs := map[string]bool{}
	for _, tt := range tests {
		before := f.Count()
		_, err := b.Lookup(t.Context(), tt.req)
		require.ErrorIs(t, err, resolver.ErrNotFound, "%+v", tt.req)
		reqs := f.Requests()
		require.Len(t, reqs, before+1, "%+v: one request", tt.req)
		got := reqs[len(reqs)-1]
		assert.Equal(t, http.MethodGet, got.Method)
		assert.Equal(t, tt.rawPath, got.RawPath, "%+v", tt.req)
		if tt.path != "" {
			assert.Equal(t, tt.path, got.Path, "%+v: the id the server routes", tt.req)
		}
		assert.Equal(t, testToken, got.Token())
		assert.Equal(t, executionapi.APIVersion, got.Header.Get(execapifake.VersionHeader))
		assert.Len(t, got.Header.Get("Correlation-Id"), 32)
		assert.False(t, correlationIDs[got.Header.Get("Correlation-Id")], "a Correlation-Id of its own for each request")
		correlationIDs[got.Header.Get("Correlation-Id")] = true
		// What the server needs, the Correlation-Id, and what Go's client
		// adds; nothing more.
		assert.ElementsMatch(t, []string{"Authorization", "Airflow-Api-Version", "Correlation-Id", "User-Agent", "Accept-Encoding"},
			slices.Collect(maps.Keys(got.Header)))
		for k, v := range got.Header {
			assert.NotContains(t, strings.ToLower(k+strings.Join(v, "")), "team_a", "the team is not sent")
		}
		assert.Equal(t, "GET "+f.URL+strings.TrimPrefix(tt.rawPath, "/execution/"), b.Describe(tt.req))
	}
	assert.Equal(t, executionapi.APIVersion, execapifake.Versions[0], "the version sent is the newest the fake knows")
}

// TestNoRequest: lookups the Execution API cannot answer make no request.
func TestNoRequest(t *testing.T) {
	f := execapifake.New(t, testToken)
	b := newGo(t, f, executionapi.Options{})
	for _, tt := range []struct {
		req      resolver.Request
		describe string
	}{
		{resolver.Request{Kind: resolver.KindConfig, ID: "core.parallelism"}, "no request (the Execution API serves no config)"},
		{connReq(""), "no request (empty id)"},
		{varReq(""), "no request (empty id)"},
		{connReq("a/b"), "no request (the connections route cannot hold a '/' in an id)"},
		{resolver.Request{Kind: 9, ID: "x"}, "no request (Kind(9) lookups are not served)"},
	} {
		_, err := b.Lookup(t.Context(), tt.req)
		assert.ErrorIs(t, err, resolver.ErrNotFound, "%+v", tt.req)
		assert.Equal(t, tt.describe, b.Describe(tt.req))
	}
	assert.Zero(t, f.Count())
}

// TestAnswers: how each answer of the API server maps.
func TestAnswers(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(f *execapifake.Server)
		req       resolver.Request
		want      string
		wantIs    []error
		notIs     []error
		wantErr   []string
		wantCode  codes.Code
		wantCalls int
	}{
		{name: "variable", setup: func(f *execapifake.Server) { f.PutVariable("k", "v1") }, req: varReq("k"), want: "v1", wantCalls: 1},
		{name: "404 from the route is not found", req: varReq("k"), wantIs: []error{resolver.ErrNotFound}, wantCalls: 1},
		{name: "null value is not found", setup: func(f *execapifake.Server) { f.PutNullVariable("k") }, req: varReq("k"),
			wantIs: []error{resolver.ErrNotFound}, wantCalls: 1},
		{name: "403 for a forbidden connection is access denied",
			setup: func(f *execapifake.Server) { conn(t, f, "c", "mysql://h"); f.Forbid("connection", "c") }, req: connReq("c"),
			wantIs: []error{resolver.ErrAccessDenied, resolver.ErrPermissionDenied}, notIs: []error{resolver.ErrNotFound},
			wantErr:  []string{`connection "c"`, "HTTP 403", "Task does not have access to connection c", "access denied"},
			wantCode: codes.PermissionDenied, wantCalls: 1},
		{name: "403 for a token the server refuses",
			setup: func(f *execapifake.Server) { f.PutVariable("k", "v"); f.RevokeToken(testToken) }, req: varReq("k"),
			wantIs:  []error{resolver.ErrAccessDenied},
			wantErr: []string{`variable "k"`, "HTTP 403", "Invalid auth token", "access denied"}, wantCalls: 1},
		{name: "401 is access denied",
			setup: func(f *execapifake.Server) { f.Fail(1, 401, `{"detail":"Missing auth token"}`) }, req: varReq("k"),
			wantIs: []error{resolver.ErrAccessDenied}, wantErr: []string{"HTTP 401", "Missing auth token", "access denied"}, wantCalls: 1},
		{name: "other 4xx is an error, not retried",
			setup: func(f *execapifake.Server) { f.Fail(1, 400, `{"detail":"bad"}`) }, req: varReq("k"),
			notIs: []error{resolver.ErrNotFound, resolver.ErrAccessDenied}, wantErr: []string{"HTTP 400 (bad)"}, wantCalls: 1},
		{name: "5xx three times is an error after 3 attempts",
			setup: func(f *execapifake.Server) { f.PutVariable("k", "v"); f.Fail(3, 0, "") }, req: varReq("k"),
			notIs: []error{resolver.ErrNotFound}, wantErr: []string{"HTTP 500 (Internal server error)", "attempt 3 of 3"},
			wantCode: codes.Unavailable, wantCalls: 3},
		{name: "5xx once, then the answer",
			setup: func(f *execapifake.Server) {
				f.PutVariable("k", "v2")
				f.Fail(1, 503, `{"detail":"Database error occurred"}`)
			},
			req: varReq("k"), want: "v2", wantCalls: 2},
		{name: "5xx twice, then the answer",
			setup: func(f *execapifake.Server) { f.PutVariable("k", "v3"); f.Fail(2, 0, "") },
			req:   varReq("k"), want: "v3", wantCalls: 3},
		{name: "a version the server no longer serves is a configuration error naming both versions",
			setup: func(f *execapifake.Server) { f.PutVariable("k", "v"); f.SetVersions("2027-01-01", "2027-03-01") }, req: varReq("k"),
			wantIs: []error{config.ErrInvalid}, notIs: []error{resolver.ErrNotFound},
			wantErr: []string{"HTTP 404 (Not Found)", "Airflow-API-Version " + executionapi.APIVersion, `the server's newest version is "2027-03-01"`,
				"execution_api_server_url"},
			wantCalls: 2},
		{name: "a version Cadwyn refuses (422) is a configuration error",
			setup: func(f *execapifake.Server) {
				f.Fail(1, 422, `[{"type":"date_from_datetime_parsing","loc":["header","airflow-api-version"],"msg":"Input should be a valid date","input":"x"}]`)
			},
			req: varReq("k"), wantIs: []error{config.ErrInvalid},
			wantErr: []string{"HTTP 422 (Input should be a valid date)", "Airflow-API-Version " + executionapi.APIVersion,
				`the server's newest version is "2026-11-13"`}, wantCalls: 2},
		{name: "403 with a body over the error budget (a proxy's page) is access denied after one request",
			setup: func(f *execapifake.Server) { f.FailAs(1, 403, "text/html", bigPage) }, req: varReq("k"),
			wantIs: []error{resolver.ErrAccessDenied}, notIs: []error{resolver.ErrNotFound},
			wantErr: []string{"HTTP 403", "access denied"}, wantCode: codes.PermissionDenied, wantCalls: 1},
		{name: "401 with a body over the error budget is access denied after one request",
			setup: func(f *execapifake.Server) { f.FailAs(1, 401, "text/html", bigPage) }, req: connReq("c"),
			wantIs: []error{resolver.ErrAccessDenied}, wantErr: []string{"HTTP 401", "access denied"}, wantCalls: 1},
		{name: "404 with a body over the error budget is not taken for the route's not found",
			setup: func(f *execapifake.Server) { f.FailAs(1, 404, "text/html", bigPage) }, req: varReq("k"),
			wantIs: []error{config.ErrInvalid}, notIs: []error{resolver.ErrNotFound}, wantErr: []string{"HTTP 404"}, wantCalls: 2},
		{name: "5xx with a body over the error budget keeps its status and is retried",
			setup: func(f *execapifake.Server) { f.FailAs(3, 502, "text/html", bigPage) }, req: varReq("k"),
			wantErr: []string{"HTTP 502 (attempt 3 of 3)"}, wantCode: codes.Unavailable, wantCalls: 3},
		{name: "an answer over the 8 MiB budget is final, not retried",
			setup: func(f *execapifake.Server) { f.Fail(3, 200, `{"key":"k","value":"`+strings.Repeat("v", 8<<20)+`"}`) },
			req:   varReq("k"), notIs: []error{resolver.ErrNotFound}, wantErr: []string{"HTTP 200 with a body larger than 8388608 bytes"},
			wantCalls: 1},
		{name: "a 422 about something else is an error",
			setup: func(f *execapifake.Server) {
				f.Fail(1, 422, `{"detail":[{"loc":["path","variable_key"],"msg":"too long"}]}`)
			},
			req: varReq("k"), notIs: []error{config.ErrInvalid, resolver.ErrNotFound}, wantErr: []string{"HTTP 422 (too long)"}, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := execapifake.New(t, testToken)
			if tt.setup != nil {
				tt.setup(f)
			}
			b := newGo(t, f, executionapi.Options{})
			got, err := b.Lookup(t.Context(), tt.req)
			assert.Equal(t, tt.wantCalls, f.Count(), "requests")
			if tt.want != "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.Error(t, err)
			for _, e := range tt.wantIs {
				assert.ErrorIs(t, err, e)
			}
			for _, e := range tt.notIs {
				assert.NotErrorIs(t, err, e)
			}
			for _, s := range tt.wantErr {
				assert.Contains(t, err.Error(), s)
			}
			assert.NotContains(t, err.Error(), testToken)
			if tt.wantCode != 0 {
				assert.Equal(t, tt.wantCode, resolver.Code(err))
			}
		})
	}
}

// bigPage is an HTML error page larger than the 64 KiB error budget, as a
// proxy in front of the API server may send.
var bigPage = "<html><body>" + strings.Repeat("<p>Access denied by the proxy.</p>\n", 2048) + "</body></html>"

// TestAccessDeniedNotServedStale: a 401 or 403 whose body is over the
// error budget is access denied after one request, so a resolver with a
// stale grace does not serve its expired answer in place of the refusal.
func TestAccessDeniedNotServedStale(t *testing.T) {
	require.Greater(t, len(bigPage), 70<<10)
	for _, status := range []int{401, 403} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			f := execapifake.New(t, testToken)
			f.PutVariable("k", "cached-answer")
			// A 1 ns TTL: the answer has expired by the next lookup; the
			// grace would serve it for an hour while the tiers fail.
			r := resolver.New(resolver.WithBackend("execution-api", newGo(t, f, executionapi.Options{})),
				resolver.WithCache(time.Nanosecond, 10), resolver.WithStaleGrace(time.Hour))
			defer r.Close()
			v, err := r.Variable(t.Context(), "k")
			require.NoError(t, err)
			require.Equal(t, "cached-answer", v.Reveal())

			f.FailAs(executionapi.Attempts, status, "text/html", bigPage)
			before := f.Count()
			v, err = r.Variable(t.Context(), "k")
			require.Error(t, err, "not served stale")
			assert.Empty(t, v.Reveal())
			assert.ErrorIs(t, err, resolver.ErrAccessDenied)
			assert.Equal(t, before+1, f.Count(), "one request")
		})
	}
}

// TestAccessDeniedEndsTheSearch: a 403 through a resolver whose next tier
// holds the id: the next tier is not asked, nothing is cached.
func TestAccessDeniedEndsTheSearch(t *testing.T) {
	f := execapifake.New(t, testToken)
	f.PutVariable("k", "from-api")
	f.Forbid("variable", "k")
	var asked atomic.Int64
	fallback := env.New(env.Options{LookupEnv: func(name string) (string, bool) {
		asked.Add(1)
		return "from-fallback", name == "AIRFLOW_VAR_K"
	}})
	for _, failClosed := range []bool{false, true} {
		opts := []resolver.Option{
			resolver.WithBackend("execution-api", newGo(t, f, executionapi.Options{})),
			resolver.WithFallback("env", fallback), resolver.WithCache(time.Hour, 10),
		}
		if failClosed {
			opts = append(opts, resolver.WithFailClosed())
		}
		r := resolver.New(opts...)
		_, err := r.Variable(t.Context(), "k")
		require.Error(t, err)
		assert.ErrorIs(t, err, resolver.ErrAccessDenied)
		assert.NotErrorIs(t, err, resolver.ErrNotFound)
		assert.Contains(t, err.Error(), "access denied")
		assert.Zero(t, asked.Load(), "the fallback holding the id is not asked")

		// Not cached: once allowed, the next lookup asks again.
		before := f.Count()
		_, err = r.Variable(t.Context(), "k")
		require.Error(t, err)
		assert.Equal(t, before+1, f.Count(), "the refusal was not cached")
		r.Close()
	}

	// Control: a miss in the API does reach the fallback.
	r := resolver.New(resolver.WithBackend("execution-api", newGo(t, f, executionapi.Options{})), resolver.WithFallback("env", fallback))
	defer r.Close()
	v, err := r.Variable(t.Context(), "absent_in_api")
	require.Error(t, err, "the fallback holds only k")
	assert.ErrorIs(t, err, resolver.ErrNotFound)
	assert.Positive(t, asked.Load(), "a miss goes on to the next tier")
	_ = v
}

// TestConnectionFields: the ConnectionResponse becomes the connection the
// server holds: extra is the JSON string the server sent, port an int,
// null fields absent.
func TestConnectionFields(t *testing.T) {
	f := execapifake.New(t, testToken)
	host, login, pw, extra := "db.example", "u", "pw-1", `{"sslmode": "require", "n": 3, "nested": {"a": [1, 2]}}`
	port := 5432
	f.PutConnection("pg", execapifake.Connection{ConnType: "postgres", Host: &host, Login: &login, Password: &pw, Port: &port, Extra: &extra})
	f.PutConnection("bare", execapifake.Connection{ConnType: "http"})
	r := resolver.New(resolver.WithBackend("execution-api", newGo(t, f, executionapi.Options{})))
	defer r.Close()

	c, err := r.Connection(t.Context(), "pg")
	require.NoError(t, err)
	assert.Equal(t, "postgres", c.ConnType)
	assert.Equal(t, "db.example", c.Host)
	assert.Equal(t, 5432, c.Port)
	assert.Equal(t, "u", c.Login)
	assert.Equal(t, "pw-1", c.Password.Reveal())
	s, ok := c.ExtraString("sslmode")
	assert.True(t, ok)
	assert.Equal(t, "require", s)
	s, _ = c.ExtraString("nested.a.1")
	assert.Equal(t, "2", s)

	c, err = r.Connection(t.Context(), "bare")
	require.NoError(t, err)
	assert.Equal(t, "http", c.ConnType)
	assert.False(t, c.Has(0x3f&^1), "null fields are absent")
	assert.Empty(t, c.Extra)
}

// TestTokenSources: the token from the environment, from a file, a
// rotated file, a refreshed token; and the errors.
func TestTokenSources(t *testing.T) {
	t.Run("environment", func(t *testing.T) {
		f := execapifake.New(t, testToken)
		f.PutVariable("k", "v")
		b := openFake(t, f, `{}`)
		_, err := b.Lookup(t.Context(), varReq("k"))
		require.NoError(t, err)
		assert.Equal(t, testToken, f.Requests()[0].Token())
	})
	t.Run("file, rotated", func(t *testing.T) {
		f := execapifake.New(t, "tok-one")
		f.PutVariable("k", "v")
		isolate(t)
		dir := t.TempDir()
		path := writeToken(t, dir, "  tok-one\n")
		t.Setenv(executionapi.TokenFileEnv, path)
		b, err := openConfig(t, "[core]\nexecution_api_server_url = "+f.URL+"\n", `{}`)
		require.NoError(t, err)
		_, err = b.Lookup(t.Context(), varReq("k"))
		require.NoError(t, err)

		// The server moves on to a new token; the file is rewritten.
		f.RevokeToken("tok-one")
		f.AcceptToken("tok-two-longer")
		writeToken(t, dir, "tok-two-longer")
		_, err = b.Lookup(t.Context(), varReq("k"))
		require.NoError(t, err, "the rotated token is used by the next lookup")
		reqs := f.Requests()
		assert.Equal(t, "tok-one", reqs[0].Token())
		assert.Equal(t, "tok-two-longer", reqs[1].Token())
	})
	t.Run("refreshed by the server", func(t *testing.T) {
		f := execapifake.New(t, testToken)
		f.PutVariable("k", "v")
		b := newGo(t, f, executionapi.Options{})
		f.RefreshTo("tok-refreshed")
		_, err := b.Lookup(t.Context(), varReq("k"))
		require.NoError(t, err)
		f.RevokeToken(testToken)
		_, err = b.Lookup(t.Context(), varReq("k"))
		require.NoError(t, err)
		reqs := f.Requests()
		assert.Equal(t, testToken, reqs[0].Token())
		assert.Equal(t, "tok-refreshed", reqs[1].Token())
		assert.NotContains(t, b.String(), "tok-refreshed")
	})
	t.Run("file rewritten in place: same length, same modification time", func(t *testing.T) {
		f := execapifake.New(t, "tok-one")
		f.PutVariable("k", "v")
		path := writeToken(t, t.TempDir(), "tok-one")
		before, err := os.Stat(path)
		require.NoError(t, err)
		b := newGo(t, f, executionapi.Options{TokenFile: path})
		_, err = b.Lookup(t.Context(), varReq("k"))
		require.NoError(t, err)

		f.RevokeToken("tok-one")
		f.AcceptToken("tok-two")
		w, err := os.OpenFile(path, os.O_WRONLY, 0) // the same inode
		require.NoError(t, err)
		_, err = w.WriteAt([]byte("tok-two"), 0)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		require.NoError(t, os.Chtimes(path, before.ModTime(), before.ModTime()))
		after, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, before.Size(), after.Size())
		require.Equal(t, before.ModTime(), after.ModTime())
		require.True(t, os.SameFile(before, after))

		_, err = b.Lookup(t.Context(), varReq("k"))
		require.NoError(t, err, "the rewritten token is used by the next lookup")
		assert.Equal(t, "tok-two", f.Requests()[1].Token())
	})
	t.Run("a file unchanged keeps the refreshed token", func(t *testing.T) {
		f := execapifake.New(t, "tok-one")
		f.PutVariable("k", "v")
		b := newGo(t, f, executionapi.Options{TokenFile: writeToken(t, t.TempDir(), "tok-one")})
		f.RefreshTo("tok-refreshed")
		_, err := b.Lookup(t.Context(), varReq("k"))
		require.NoError(t, err)
		f.RevokeToken("tok-one")
		_, err = b.Lookup(t.Context(), varReq("k"))
		require.NoError(t, err)
		assert.Equal(t, "tok-refreshed", f.Requests()[1].Token())
	})
	t.Run("a rotated file wins over a refreshed token", func(t *testing.T) {
		f := execapifake.New(t, "tok-one")
		f.PutVariable("k", "v")
		dir := t.TempDir()
		b := newGo(t, f, executionapi.Options{TokenFile: writeToken(t, dir, "tok-one")})
		f.RefreshTo("tok-refreshed")
		_, err := b.Lookup(t.Context(), varReq("k"))
		require.NoError(t, err)
		f.AcceptToken("tok-three-rotated")
		writeToken(t, dir, "tok-three-rotated")
		_, err = b.Lookup(t.Context(), varReq("k"))
		require.NoError(t, err)
		assert.Equal(t, "tok-three-rotated", f.Requests()[1].Token())
	})

	errs := []struct {
		name    string
		env     map[string]string
		file    string // content of a token file named by the file variable
		wantIs  []error
		wantErr string
	}{
		{name: "neither variable: a configuration error that is also not found (a worker's Open falls back to the metastore)",
			wantIs:  []error{resolver.ErrNotFound, config.ErrInvalid},
			wantErr: "no token: neither SECRETPATH_EXECUTION_API_TOKEN nor SECRETPATH_EXECUTION_API_TOKEN_FILE is set"},
		{name: "both variables", env: map[string]string{executionapi.TokenEnv: "x-tok"}, file: "y-tok", wantIs: []error{config.ErrInvalid},
			wantErr: "both a token and a token file are given"},
		{name: "empty file", file: " \n", wantIs: []error{config.ErrInvalid}, wantErr: "is empty"},
		{name: "missing file", env: map[string]string{executionapi.TokenFileEnv: "/nonexistent/token"}, wantIs: []error{config.ErrInvalid},
			wantErr: "token file (SECRETPATH_EXECUTION_API_TOKEN_FILE)"},
		{name: "token with a space", env: map[string]string{executionapi.TokenEnv: "a b"}, wantIs: []error{config.ErrInvalid},
			wantErr: "SECRETPATH_EXECUTION_API_TOKEN holds a character a token cannot hold"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if tt.file != "" {
				t.Setenv(executionapi.TokenFileEnv, writeToken(t, t.TempDir(), tt.file))
			}
			_, err := openConfig(t, "", `{}`)
			require.Error(t, err)
			for _, target := range tt.wantIs {
				assert.ErrorIs(t, err, target)
			}
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// TestTimeout: a server that does not answer is given up at the timeout
// (kwarg), retries included; the caller's context ends a lookup too.
func TestTimeout(t *testing.T) {
	f := execapifake.New(t, testToken)
	f.Hang()
	b := openFake(t, f, `{"timeout": 0.05}`)
	_, err := b.Lookup(t.Context(), varReq("k"))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 1, f.Count(), "a timed-out attempt is not retried")

	b = newGo(t, f, executionapi.Options{Timeout: -1})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for f.Count() < 2 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err = b.Lookup(ctx, varReq("k"))
	assert.ErrorIs(t, err, context.Canceled)
}

// TestUnanswered: a refused connection is tried 3 times, then unavailable.
func TestUnanswered(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/execution/"
	srv.Close()
	b, err := executionapi.New(executionapi.Options{URL: url, Token: testToken, RetryWait: time.Millisecond})
	require.NoError(t, err)
	_, err = b.Lookup(t.Context(), varReq("k"))
	require.Error(t, err)
	assert.Equal(t, codes.Unavailable, resolver.Code(err))
	assert.Contains(t, err.Error(), "attempt 3 of 3")
	assert.Contains(t, err.Error(), "connection refused")
}

// TestHostileBodies: what a hostile or broken server sends never reaches
// an error, and its size is bounded.
func TestHostileBodies(t *testing.T) {
	const planted = "Pl4nted-value"
	huge := strings.Repeat("x", 9<<20)
	tests := []struct {
		name    string
		status  int
		body    string
		kind    resolver.Kind
		wantErr string
	}{
		{name: "bad JSON", status: 200, body: `{"key": "k", "value": "` + planted, wantErr: "details withheld"},
		{name: "trailing data", status: 200, body: `{"key": "k", "value": "v"} "` + planted + `"`, wantErr: "details withheld"},
		{name: "value not a string", status: 200, body: `{"key": "k", "value": ["` + planted + `"]}`, wantErr: "details withheld"},
		{name: "no key", status: 200, body: `{"value": "` + planted + `"}`, wantErr: "details withheld"},
		{name: "a connection without conn_type", status: 200, kind: resolver.KindConnection,
			body: `{"conn_id": "k", "password": "` + planted + `"}`, wantErr: "details withheld"},
		{name: "a port that is not an int", status: 200, kind: resolver.KindConnection,
			body: `{"conn_id": "k", "conn_type": "x", "port": "` + planted + `"}`, wantErr: "details withheld"},
		{name: "huge answer", status: 200, body: `{"key": "k", "value": "` + planted + huge + `"}`, wantErr: "larger than 8388608 bytes"},
		{name: "huge error: the status is kept, the body cut and not quoted", status: 500, body: `{"detail": "` + planted + huge + `"}`,
			wantErr: "HTTP 500 (attempt 3 of 3)"},
		{name: "an error echoing the token", status: 403, body: `{"detail": "bad token ` + testToken + `"}`, wantErr: "(bad token ***): access denied"},
		{name: "an error with control characters", status: 400, body: `{"detail": "a\u001b[31mb"}`, wantErr: "HTTP 400 (a?[31mb)"},
		{name: "an error that is not JSON", status: 418, body: planted, wantErr: "HTTP 418"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			b, err := executionapi.New(executionapi.Options{URL: srv.URL, Token: testToken, RetryWait: time.Millisecond})
			require.NoError(t, err)
			kind := tt.kind
			if kind == 0 {
				kind = resolver.KindVariable
			}
			_, err = b.Lookup(t.Context(), resolver.Request{Kind: kind, ID: "k"})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), planted)
			assert.NotContains(t, err.Error(), testToken)
			assert.Less(t, len(err.Error()), 1000)
		})
	}
}

// TestKwargsAndConfig: backend_kwargs and [core] execution_api_server_url.
func TestKwargsAndConfig(t *testing.T) {
	isolate(t)
	t.Setenv(executionapi.TokenEnv, testToken)
	tests := []struct {
		name, cfg, kwargs string
		wantErr           string
		wantDescribe      string
	}{
		{name: "defaults", kwargs: `{}`, wantDescribe: "GET http://localhost:8080/execution/variables/k"},
		{name: "URL without a trailing slash", cfg: "[core]\nexecution_api_server_url = https://api.example:8443/execution\n", kwargs: `{}`,
			wantDescribe: "GET https://api.example:8443/execution/variables/k"},
		{name: "timeout", kwargs: `{"timeout": 2.5}`, wantDescribe: "GET http://localhost:8080/execution/variables/k"},
		{name: "unknown kwarg", kwargs: `{"timeotu": 3}`, wantErr: `unknown backend_kwargs key(s): timeotu (did you mean "timeout"?)`},
		{name: "unknown kwarg without a near one", kwargs: `{"token": "x"}`, wantErr: "unknown backend_kwargs key(s): token"},
		{name: "bad timeout", kwargs: `{"timeout": -1}`, wantErr: `backend_kwargs key "timeout" must be a number of seconds between 0 (no timeout) and 86400`},
		{name: "ftp URL", cfg: "[core]\nexecution_api_server_url = ftp://h/execution/\n", kwargs: `{}`,
			wantErr: "airflow.cfg:2: [core] execution_api_server_url: must be an http or https URL"},
		{name: "URL with user information", cfg: "[core]\nexecution_api_server_url = http://u:Pl4nted@h/execution/\n", kwargs: `{}`,
			wantErr: "execution_api_server_url: must not hold user information"},
		{name: "URL with a query", cfg: "[core]\nexecution_api_server_url = http://h/execution/?a=b\n", kwargs: `{}`,
			wantErr: "must not hold a query or a fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := openConfig(t, tt.cfg, tt.kwargs)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "Pl4nted")
				return
			}
			require.NoError(t, err)
			d, ok := b.(resolver.Describer)
			require.True(t, ok)
			assert.Equal(t, tt.wantDescribe, d.Describe(varReq("k")))
		})
	}

	t.Run("the environment overrides the file", func(t *testing.T) {
		t.Setenv("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "http://127.0.0.1:9/x/")
		b, err := openConfig(t, "[core]\nexecution_api_server_url = http://other/execution/\n", `{}`)
		require.NoError(t, err)
		assert.Equal(t, "GET http://127.0.0.1:9/x/connections/c", b.(resolver.Describer).Describe(connReq("c")))
	})
	t.Run("a bad URL in the environment names the variable", func(t *testing.T) {
		t.Setenv("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "localhost:8080")
		_, err := openConfig(t, "", `{}`)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "env AIRFLOW__CORE__EXECUTION_API_SERVER_URL")
	})
}

// TestPrintedForm: the token is in no printed form of the backend or its
// options.
func TestPrintedForm(t *testing.T) {
	f := execapifake.New(t, testToken)
	b := newGo(t, f, executionapi.Options{})
	o := executionapi.Options{URL: f.URL, Token: testToken}
	for _, s := range []string{
		b.String(), sprintf("%v", b), sprintf("%+v", b), sprintf("%#v", b), sprintf("%s", b),
		o.String(), sprintf("%v", o), sprintf("%+v", o), sprintf("%#v", o), mustJSON(t, o),
	} {
		assert.NotContains(t, s, testToken)
	}
	assert.Contains(t, b.String(), f.URL)
	assert.Equal(t, executionapi.Name, b.Name())

	// A URL with user information (New refuses it; Options may be printed
	// before) or a query is printed without them.
	for _, u := range []string{"http://user-info:" + testToken + "@h/execution/", "http://" + testToken + "@h/execution/", "http://h/execution/?t=" + testToken} {
		o := executionapi.Options{URL: u}
		for _, s := range []string{o.String(), sprintf("%v", o), sprintf("%#v", o), mustJSON(t, o)} {
			assert.NotContains(t, s, testToken)
			assert.NotContains(t, s, "user-info")
		}
		assert.Contains(t, o.String(), `URL: "http://`)
	}
}

func TestErrorsAreNotWrappedTwice(t *testing.T) {
	f := execapifake.New(t, testToken)
	f.Forbid("variable", "k")
	_, err := newGo(t, f, executionapi.Options{}).Lookup(t.Context(), varReq("k"))
	require.Error(t, err)
	assert.Equal(t, 1, strings.Count(err.Error(), "access denied"))
	var target interface{ Unwrap() error }
	assert.True(t, errors.As(err, &target))
}

// TestRedirectNotFollowed: a redirect is an error, and the token goes
// nowhere else (the task SDK's httpx client does not follow redirects).
func TestRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	b, err := executionapi.New(executionapi.Options{URL: srv.URL, Token: testToken, RetryWait: time.Millisecond})
	require.NoError(t, err)
	_, err = b.Lookup(t.Context(), varReq("k"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 307")
	assert.Zero(t, elsewhere.Load())
}

// TestTLS: the [api] options the task SDK's client reads for HTTPS.
func TestTLS(t *testing.T) {
	f, certPEM := execapifake.NewTLS(t, testToken)
	f.PutVariable("k", "v")
	dir := t.TempDir()
	cert := writeFile(t, dir, "server.pem", string(certPEM))
	garbage := writeFile(t, dir, "garbage.pem", "Pl4nted not a certificate")
	core := "[core]\nexecution_api_server_url = " + f.URL + "\n"
	tests := []struct {
		name, api string
		wantErr   string // at open
		lookupErr string // at lookup
	}{
		{name: "an unknown CA is an error, not retried", lookupErr: "certificate"},
		{name: "ssl_cert trusts the server's certificate", api: "ssl_cert = " + cert + "\n"},
		{name: "ssl_ca_file alone", api: "ssl_ca_file = " + cert + "\nclient_use_public_certs = False\n"},
		{name: "ssl_ca_file with the public CAs", api: "ssl_ca_file = " + cert + "\n"},
		{name: "unreadable ssl_cert", api: "ssl_cert = " + dir + "/nope.pem\n", wantErr: "airflow.cfg:5: [api] ssl_cert: cannot be read"},
		{name: "not PEM", api: "ssl_ca_file = " + garbage + "\n", wantErr: "[api] ssl_ca_file: holds no PEM certificate"},
		{name: "client cert without key", api: "client_ssl_cert = " + cert + "\n",
			wantErr: "[api] client_ssl_key: is not set: both client_ssl_cert and client_ssl_key must be set"},
		{name: "client key that is no key", api: "client_ssl_cert = " + cert + "\nclient_ssl_key = " + garbage + "\n",
			wantErr: "[api] client_ssl_cert: and client_ssl_key do not make a certificate and key pair"},
		{name: "bad boolean", api: "client_use_public_certs = maybe\n", wantErr: "[api] client_use_public_certs: must be a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			t.Setenv(executionapi.TokenEnv, testToken)
			before := f.Count()
			b, err := openConfig(t, core+"\n[api]\n"+tt.api, `{}`)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "Pl4nted")
				return
			}
			require.NoError(t, err)
			v, err := b.Lookup(t.Context(), varReq("k"))
			if tt.lookupErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.lookupErr)
				assert.Contains(t, err.Error(), "[api] ssl_cert")
				assert.Equal(t, before, f.Count(), "no request reached the handler")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "v", v)
		})
	}
}
