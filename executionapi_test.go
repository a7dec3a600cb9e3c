package secretpath_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/execapifake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestWorkerExecutionAPITier: with everything linked (this package links
// builtin/executionapi; the test does not import it), a worker's view of
// the config asks the Execution API third when a token is set, and the
// metastore otherwise; the server's view never asks it.
func TestWorkerExecutionAPITier(t *testing.T) {
	f := execapifake.New(t, "tok-root")
	f.PutVariable("k", "from-api")
	t.Setenv("HOME", t.TempDir())
	for _, k := range []string{"SECRETPATH_EXECUTION_API_TOKEN", "SECRETPATH_EXECUTION_API_TOKEN_FILE"} {
		t.Setenv(k, "")
		require.NoError(t, os.Unsetenv(k))
	}
	text := []byte("[core]\nexecution_api_server_url = " + f.URL + "\n")
	tests := []struct {
		name   string
		worker bool
		token  string
		tiers  []string
	}{
		{"worker with a token", true, "tok-root", []string{"env", "execution-api"}},
		{"worker without a token", true, "", []string{"env", "metastore"}},
		{"server with a token", false, "tok-root", []string{"env", "metastore"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SECRETPATH_EXECUTION_API_TOKEN", tt.token)
			cfg, err := config.Parse("airflow.cfg", text, nil)
			require.NoError(t, err)
			if tt.worker {
				cfg, err = cfg.Worker()
				require.NoError(t, err)
			}
			r, err := resolver.Open(t.Context(), cfg)
			require.NoError(t, err)
			defer r.Close()
			assert.Equal(t, tt.tiers, r.Tiers())
			v, err := r.Variable(t.Context(), "k")
			if tt.tiers[1] == "execution-api" {
				require.NoError(t, err)
				assert.Equal(t, "from-api", v.Reveal())
			} else {
				assert.ErrorIs(t, err, resolver.ErrNotFound)
			}
		})
	}
}
