package wasmhost_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/wasmhost"
)

func getter(m map[string]string) wasmhost.ConfigGetter {
	return func(section, key string) (string, bool) {
		v, ok := m[section+"."+key]
		return v, ok
	}
}

func kwargs(t *testing.T, s string) *config.Kwargs {
	k, err := config.ParseKwargs([]byte(s))
	require.NoError(t, err)
	return k
}

func TestOpenConfig(t *testing.T) {
	ref, err := filepath.Abs("testdata/reference.wasm")
	require.NoError(t, err)
	refBytes, err := os.ReadFile(ref)
	require.NoError(t, err)
	sum := sha256.Sum256(refBytes)
	pin := hex.EncodeToString(sum[:])

	var fetches atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		_, _ = w.Write(refBytes)
	}))
	defer srv.Close()
	old := wasmhost.FetchClient
	wasmhost.FetchClient = srv.Client()
	defer func() { wasmhost.FetchClient = old }()
	cacheDir := t.TempDir()

	tests := []struct {
		name    string
		ref     string
		opts    map[string]string
		wantErr string
	}{
		{name: "path", ref: ref},
		{name: "file URL", ref: "file://" + ref},
		{name: "pinned path", ref: ref, opts: map[string]string{"wasm.sha256": pin}},
		{name: "wrong pin", ref: ref, opts: map[string]string{"wasm.sha256": "00"}, wantErr: "but the pin says 00"},
		{name: "https without pin", ref: srv.URL + "/m.wasm", wantErr: "needs a sha256 pin"},
		{name: "https pinned", ref: srv.URL + "/m.wasm", opts: map[string]string{"wasm.sha256": pin, "wasm.cache_dir": cacheDir}},
		{name: "https from the cache", ref: srv.URL + "/m.wasm", opts: map[string]string{"wasm.sha256": pin, "wasm.cache_dir": cacheDir}},
		{name: "https wrong pin", ref: srv.URL + "/m.wasm", opts: map[string]string{"wasm.sha256": "ab"}, wantErr: "but the pin says ab"},
		{name: "limits", ref: ref, opts: map[string]string{"wasm.memory_pages": "16", "wasm.pool_size": "4", "wasm.call_timeout_seconds": "0.5", "wasm.trusted": "false"}},
		{name: "bad pages", ref: ref, opts: map[string]string{"wasm.memory_pages": "many"}, wantErr: "[wasm] memory_pages must be an integer from 1 to 65536"},
		{name: "bad timeout", ref: ref, opts: map[string]string{"wasm.call_timeout_seconds": "-1"}, wantErr: "[wasm] call_timeout_seconds must be"},
		{name: "bad capability", ref: ref, opts: map[string]string{"wasm.capabilities": "log, teleport"}, wantErr: `unknown capability "teleport"`},
		{name: "http without hosts", ref: ref, opts: map[string]string{"wasm.capabilities": "http"}, wantErr: "capability http needs http_allow_hosts"},
		{name: "env without names", ref: ref, opts: map[string]string{"wasm.capabilities": "env"}, wantErr: "capability env needs env_allow"},
		{name: "missing file", ref: "/nonexistent/x.wasm", wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := wasmhost.OpenConfig(t.Context(), tt.ref, kwargs(t, `{"c:x": "mysql://h"}`), getter(tt.opts))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			defer b.(interface{ Close() error }).Close()
			v, err := b.Lookup(t.Context(), connReq("x"))
			require.NoError(t, err)
			assert.Equal(t, "mysql://h", v)
		})
	}
	assert.Equal(t, int64(2), fetches.Load(), "fetched once for the pinned https case (the next came from the cache), once for the wrong pin")
}

func TestErrorsNeverCarryKwargs(t *testing.T) {
	const secret = "kw-S3cret-Value"
	h := newHost(t)
	for _, module := range []string{"init_fails", "trap_init", "loop_init"} {
		_, err := h.NewTenant(context.Background(), loadFixture(t, h, module+".wasm"), wasmhost.TenantConfig{
			Name: module, Kwargs: []byte(`{"token": "` + secret + `"}`),
			Limits: wasmhost.Limits{CallTimeout: hostileTimeout},
		})
		require.Error(t, err)
		assert.NotContains(t, err.Error(), secret, module)
	}
	tn, err := h.NewTenant(context.Background(), loadFixture(t, h, "reference.wasm"), wasmhost.TenantConfig{
		Name: "bad kwargs", Kwargs: []byte(`{"token": "` + secret + `", "x": 1}`),
	})
	require.Error(t, err, "the reference guest refuses a non-string value")
	assert.Nil(t, tn)
	assert.Contains(t, err.Error(), "INVALID_ARGUMENT: reference: bad kwargs at byte")
	assert.NotContains(t, err.Error(), secret)
}
