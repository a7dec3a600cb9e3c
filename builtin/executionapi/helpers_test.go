package executionapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/executionapi"
	"github.com/secretpath/secretpath/internal/execapifake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// testToken is the token the fakes accept.
const testToken = "eyJ.test-token.sig"

// isolate clears the token variables for the test (restored when it ends).
func isolate(t *testing.T) {
	t.Helper()
	for _, k := range []string{executionapi.TokenEnv, executionapi.TokenFileEnv, "AIRFLOW__CORE__EXECUTION_API_SERVER_URL"} {
		t.Setenv(k, "")
		require.NoError(t, os.Unsetenv(k))
	}
}

// openConfig builds the backend through the registry from a config file
// text and kwargs, with the process environment the test set.
func openConfig(t *testing.T, cfgText, kwargs string) (resolver.Backend, error) {
	t.Helper()
	cfg, err := config.Parse("airflow.cfg", []byte(cfgText), os.Environ())
	require.NoError(t, err)
	kw, err := config.ParseKwargs([]byte(kwargs))
	require.NoError(t, err)
	b, err := resolver.OpenBackend(context.Background(), executionapi.Name, resolver.Env{Kwargs: kw, Config: cfg})
	if b != nil {
		if c, ok := b.(interface{ Close() error }); ok {
			t.Cleanup(func() { _ = c.Close() })
		}
	}
	return b, err
}

// openFake builds the backend through the registry against f with the
// token in SECRETPATH_EXECUTION_API_TOKEN.
func openFake(t *testing.T, f *execapifake.Server, kwargs string) resolver.Backend {
	t.Helper()
	isolate(t)
	t.Setenv(executionapi.TokenEnv, testToken)
	b, err := openConfig(t, "[core]\nexecution_api_server_url = "+f.URL+"\n", kwargs)
	require.NoError(t, err)
	return b
}

// newGo builds the backend through the Go API against f, with fast retries.
func newGo(t *testing.T, f *execapifake.Server, o executionapi.Options) *executionapi.Backend {
	t.Helper()
	if o.URL == "" {
		o.URL = f.URL
	}
	if o.Token == "" && o.TokenFile == "" {
		o.Token = testToken
	}
	if o.RetryWait == 0 {
		o.RetryWait = time.Millisecond
	}
	b, err := executionapi.New(o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// writeToken writes a token file and returns its path.
func writeToken(t *testing.T, dir, tok string) string {
	t.Helper()
	p := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(p, []byte(tok), 0o600))
	return p
}

func conn(t *testing.T, f *execapifake.Server, id, value string) {
	t.Helper()
	c, err := execapifake.ConnectionFrom(id, value)
	require.NoError(t, err)
	f.PutConnection(id, c)
}

var (
	connReq = func(id string) resolver.Request { return resolver.Request{Kind: resolver.KindConnection, ID: id} }
	varReq  = func(id string) resolver.Request { return resolver.Request{Kind: resolver.KindVariable, ID: id} }
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	out, err := json.Marshal(v)
	require.NoError(t, err)
	return string(out)
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}
