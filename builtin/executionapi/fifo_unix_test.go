//go:build unix

package executionapi_test

import (
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/executionapi"
	"github.com/secretpath/secretpath/builtin/internal/kit/kittest"
	"github.com/secretpath/secretpath/internal/execapifake"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestNamedPipes: a token file or an [api] TLS file that is a named pipe
// (which blocks a reader until a writer comes) is a configuration error
// naming the file and the option, returned at once.
func TestNamedPipes(t *testing.T) {
	f, certPEM := execapifake.NewTLS(t, testToken)
	cert := writeFile(t, t.TempDir(), "server.pem", string(certPEM))
	tests := []struct {
		name string
		env  func(fifo string) map[string]string
		api  func(fifo string) string
		want string
	}{
		{name: "token file", env: func(fifo string) map[string]string { return map[string]string{executionapi.TokenFileEnv: fifo} },
			want: "token file (" + executionapi.TokenFileEnv + ")"},
		{name: "ssl_ca_file", api: func(fifo string) string { return "ssl_ca_file = " + fifo + "\n" }, want: "[api] ssl_ca_file: cannot be read"},
		{name: "ssl_cert", api: func(fifo string) string { return "ssl_cert = " + fifo + "\n" }, want: "[api] ssl_cert: cannot be read"},
		{name: "client_ssl_cert", api: func(fifo string) string {
			return "ssl_cert = " + cert + "\nclient_ssl_cert = " + fifo + "\nclient_ssl_key = " + cert + "\n"
		},
			want: "[api] client_ssl_cert: cannot be read"},
		{name: "client_ssl_key", api: func(fifo string) string {
			return "ssl_cert = " + cert + "\nclient_ssl_cert = " + cert + "\nclient_ssl_key = " + fifo + "\n"
		},
			want: "[api] client_ssl_key: cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			fifo := kittest.Fifo(t)
			t.Setenv(executionapi.TokenEnv, testToken)
			cfg := "[core]\nexecution_api_server_url = " + f.URL + "\n"
			if tt.env != nil {
				require.NoError(t, os.Unsetenv(executionapi.TokenEnv))
				for k, v := range tt.env(fifo) {
					t.Setenv(k, v)
				}
			}
			if tt.api != nil {
				cfg += "[api]\n" + tt.api(fifo)
			}
			err := kittest.Returns(t, func() error {
				_, err := openConfig(t, cfg, `{}`)
				return err
			})
			require.Error(t, err)
			assert.ErrorIs(t, err, config.ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), fifo+": not a regular file (a named pipe)")
		})
	}
}

// TestTokenFileBecomesANamedPipe: a token file replaced by a named pipe
// after the backend was built fails each lookup at once, naming the file;
// concurrent lookups are not frozen behind one that waits.
func TestTokenFileBecomesANamedPipe(t *testing.T) {
	f := execapifake.New(t, testToken)
	f.PutVariable("k", "v")
	path := writeToken(t, t.TempDir(), testToken)
	b := newGo(t, f, executionapi.Options{TokenFile: path})
	_, err := b.Lookup(t.Context(), varReq("k"))
	require.NoError(t, err)

	require.NoError(t, os.Remove(path))
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	t.Cleanup(func() {
		if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = w.Close()
		}
	})
	errs := make([]error, 3)
	err = kittest.Returns(t, func() error {
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { _, errs[i] = b.Lookup(t.Context(), varReq("k")) })
		}
		wg.Wait()
		return nil
	})
	require.NoError(t, err)
	for _, err := range errs {
		require.Error(t, err)
		assert.Contains(t, err.Error(), "token file ("+executionapi.TokenFileEnv+")")
		assert.Contains(t, err.Error(), "not a regular file (a named pipe)")
	}
	assert.Equal(t, 1, f.Count(), "no request without a token")
}
