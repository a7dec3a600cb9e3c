package wasmhost_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/wasmhost"
)

// wasmConfig is a config file "airflow.cfg" whose [wasm] section holds
// opts (key = value, one a line, in key order: the first is on line 2).
func wasmConfig(t testing.TB, opts map[string]string) *config.File {
	t.Helper()
	var b strings.Builder
	b.WriteString("[wasm]\n")
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString(k + " = " + opts[k] + "\n")
	}
	f, err := config.Parse("airflow.cfg", []byte(b.String()), nil)
	require.NoError(t, err)
	return f
}

func kwargs(t testing.TB, s string) *config.Kwargs {
	k, err := config.ParseKwargs([]byte(s))
	require.NoError(t, err)
	return k
}

// openRef opens module ref as the configured backend, through the registry.
func openRef(t testing.TB, ref, kw string, cfg *config.File) (resolver.Backend, error) {
	t.Helper()
	return resolver.OpenBackend(context.Background(), ref, resolver.Env{Kwargs: kwargs(t, kw), Config: cfg})
}

func closeBackend(b resolver.Backend) {
	if b != nil {
		_ = b.(interface{ Close() error }).Close()
	}
}

func TestOpenModuleRef(t *testing.T) {
	// Downloads without a cache_dir go to the default cache: this test's own.
	t.Setenv(wasmhost.CacheDirEnv, t.TempDir())
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
	// The test server's certificate is trusted by its own client only.
	open := wasmhost.NewFactory(wasmhost.FactoryOptions{FetchClient: srv.Client()})
	cacheDir := t.TempDir()

	tests := []struct {
		name    string
		ref     string
		opts    map[string]string
		wantErr string
	}{
		{name: "path", ref: ref},
		{name: "file URL", ref: "file://" + ref},
		{name: "pinned path", ref: ref, opts: map[string]string{"sha256": pin}},
		{name: "wrong pin", ref: ref, opts: map[string]string{"sha256": "00"}, wantErr: "but the pin says 00"},
		{name: "https without pin", ref: srv.URL + "/m.wasm", wantErr: "needs a sha256 pin"},
		{name: "https pinned", ref: srv.URL + "/m.wasm", opts: map[string]string{"sha256": pin, "cache_dir": cacheDir}},
		{name: "https from the cache", ref: srv.URL + "/m.wasm", opts: map[string]string{"sha256": pin, "cache_dir": cacheDir}},
		{name: "https wrong pin", ref: srv.URL + "/m.wasm", opts: map[string]string{"sha256": "ab"}, wantErr: "but the pin says ab"},
		{name: "limits", ref: ref, opts: map[string]string{"memory_pages": "16", "pool_size": "4", "call_timeout_seconds": "0.5", "trusted": "false"}},
		{name: "bad pages", ref: ref, opts: map[string]string{"memory_pages": "many"}, wantErr: "airflow.cfg:2: [wasm] memory_pages: must be an integer from 1 to 65536"},
		{name: "bad timeout", ref: ref, opts: map[string]string{"call_timeout_seconds": "-1"}, wantErr: "airflow.cfg:2: [wasm] call_timeout_seconds: must be"},
		{name: "bad capability", ref: ref, opts: map[string]string{"capabilities": "log, teleport"}, wantErr: `airflow.cfg:2: [wasm] capabilities: unknown capability "teleport"`},
		{name: "http without hosts", ref: ref, opts: map[string]string{"capabilities": "http"}, wantErr: "airflow.cfg:2: [wasm] capabilities: capability http needs http_allow_hosts"},
		{name: "env without names", ref: ref, opts: map[string]string{"capabilities": "env"}, wantErr: "airflow.cfg:2: [wasm] capabilities: capability env needs env_allow"},
		{name: "missing file", ref: "/nonexistent/x.wasm", wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := open(t.Context(), resolver.Env{
				Name: tt.ref, Kwargs: kwargs(t, `{"c:x": "mysql://h"}`), Config: wasmConfig(t, tt.opts),
				Logger: slog.New(slog.DiscardHandler),
			})
			if tt.wantErr != "" {
				require.Error(t, err)
				closeBackend(b)
				assert.ErrorIs(t, err, config.ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			defer closeBackend(b)
			v, err := b.Lookup(t.Context(), connReq("x"))
			require.NoError(t, err)
			assert.Equal(t, "mysql://h", v)
		})
	}
	assert.Equal(t, int64(2), fetches.Load(), "fetched once for the pinned https case (the next came from the cache), once for the wrong pin")

	// The registered factory has a client of its own, which does not
	// trust the test server.
	b, err := openRef(t, srv.URL+"/m.wasm", `{}`, wasmConfig(t, map[string]string{"sha256": pin}))
	closeBackend(b)
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "certificate")
	assert.Equal(t, int64(2), fetches.Load(), "no module was served")
}

// TestWasmSectionUnknownOption: an option [wasm] does not have is an error
// naming where it is set, with the option it probably meant; nothing is
// loaded.
func TestWasmSectionUnknownOption(t *testing.T) {
	ref, err := filepath.Abs("testdata/reference.wasm")
	require.NoError(t, err)
	tests := []struct {
		opts map[string]string
		want []string
	}{
		{map[string]string{"memory_page": "16"}, []string{"airflow.cfg:2: [wasm] memory_page is not an option secretpath knows (did you mean memory_pages?)"}},
		{map[string]string{"sha265": strings.Repeat("ab", 32)}, []string{"airflow.cfg:2: [wasm] sha265 is not an option secretpath knows (did you mean sha256?)"}},
		{map[string]string{"name": "acme", "pool_size": "2", "polsize": "3", "teleport": "yes"}, []string{
			"airflow.cfg:3: [wasm] polsize is not an option secretpath knows",
			"airflow.cfg:5: [wasm] teleport is not an option secretpath knows",
		}},
	}
	for _, tt := range tests {
		b, err := openRef(t, ref, `{}`, wasmConfig(t, tt.opts))
		closeBackend(b)
		require.Error(t, err)
		assert.ErrorIs(t, err, config.ErrInvalid)
		for _, w := range tt.want {
			assert.Contains(t, err.Error(), w)
		}
		assert.NotContains(t, err.Error(), strings.Repeat("ab", 32), "no value in the error")
	}
	// Set from the environment, the error names the variable.
	cfg, err := config.Parse("", nil, []string{"AIRFLOW__WASM__MEMORY_PAGE=16"})
	require.NoError(t, err)
	b, err := openRef(t, ref, `{}`, cfg)
	closeBackend(b)
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "env AIRFLOW__WASM__MEMORY_PAGE: [wasm] memory_page is not an option secretpath knows (did you mean memory_pages?)")

	// Options of a capability not granted are known, and have no effect.
	b, err = openRef(t, ref, `{"v:k": "v"}`, wasmConfig(t, map[string]string{
		"env_allow": "HOME", "http_allow_hosts": "127.0.0.1:1", "http_timeout_seconds": "2",
	}))
	require.NoError(t, err)
	closeBackend(b)
}

// TestWasmBackendRegistration: the registry opens any module reference
// with the "wasm" backend, which names the tenant by the module's file
// name and logs to the Env's logger; "wasm" alone names no module.
func TestWasmBackendRegistration(t *testing.T) {
	i := slices.IndexFunc(resolver.Registered(), func(r resolver.Registration) bool { return r.Name == "wasm" })
	require.GreaterOrEqual(t, i, 0, "wasmhost registers the backend wasm")
	reg := resolver.Registered()[i]
	assert.NotEmpty(t, reg.Doc)
	assert.NotContains(t, reg.Doc, "\n", "Doc is one line")
	for _, ref := range []string{"m.wasm", "dir/M.WASM", "file:///m", "https://example.com/m"} {
		assert.True(t, reg.Match(ref), ref)
	}
	for _, ref := range []string{"wasm", "vault", "http://example.com/m", "m.wasm.bak"} {
		assert.False(t, reg.Match(ref), ref)
	}

	ref, err := filepath.Abs("testdata/reference.wasm")
	require.NoError(t, err)
	b, err := openRef(t, ref, `{"v:k": "v"}`, nil)
	require.NoError(t, err)
	defer closeBackend(b)
	assert.Equal(t, "wasm:reference", b.(resolver.Named).Name())
	v, err := b.Lookup(t.Context(), varReq("k"))
	require.NoError(t, err)
	assert.Equal(t, "v", v)

	// Opened by the whole search path, from a config file.
	cfg, err := config.Parse("airflow.cfg", []byte("[secrets]\nbackend = "+ref+"\nbackend_kwargs = {\"v:k\": \"from the file\"}\n[wasm]\nname = acme\n"), nil)
	require.NoError(t, err)
	r, err := resolver.Open(t.Context(), cfg)
	require.NoError(t, err)
	defer r.Close()
	assert.Equal(t, "wasm:acme", r.Tiers()[0])
	got, err := r.Variable(t.Context(), "k")
	require.NoError(t, err)
	assert.Equal(t, "from the file", got.Reveal())

	_, err = resolver.OpenBackend(t.Context(), "wasm", resolver.Env{})
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), `backend wasm: "wasm" names no module`)
	cfg, err = config.Parse("airflow.cfg", []byte("[secrets]\nbackend = wasm\n"), nil)
	require.NoError(t, err)
	_, err = resolver.Open(t.Context(), cfg)
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), `airflow.cfg:2: [secrets] backend: "wasm" names no module`)
}

// TestWasmSectionSettings: every [wasm] option reaches the tenant, and a
// bad value is an error that starts with where it is set and names the
// option.
func TestWasmSectionSettings(t *testing.T) {
	ref, err := filepath.Abs("testdata/reference.wasm")
	require.NoError(t, err)
	defaults := wasmhost.Limits{
		MemoryPages: wasmhost.DefaultMemoryPages, CallTimeout: wasmhost.DefaultCallTimeout,
		MaxOutputBytes: wasmhost.DefaultMaxOutputBytes, MaxLogBytes: wasmhost.DefaultMaxLogBytes,
		PoolSize: wasmhost.DefaultPoolSize, SlowCallRecycle: wasmhost.DefaultSlowCallRecycle,
	}
	limits := []struct {
		key, value string
		set        func(*wasmhost.Limits)
	}{
		{"memory_pages", "16", func(l *wasmhost.Limits) { l.MemoryPages = 16 }},
		{"call_timeout_seconds", "0.5", func(l *wasmhost.Limits) { l.CallTimeout = 500 * time.Millisecond }},
		{"max_output_bytes", "1000", func(l *wasmhost.Limits) { l.MaxOutputBytes = 1000 }},
		{"max_log_bytes", "100", func(l *wasmhost.Limits) { l.MaxLogBytes = 100 }},
		{"pool_size", "4", func(l *wasmhost.Limits) { l.PoolSize = 4 }},
		{"fuel_per_call", "5000000", func(l *wasmhost.Limits) { l.FuelPerCall = 5_000_000 }},
		{"fuel_per_call", "0", func(l *wasmhost.Limits) { l.FuelPerCall = 0 }},
		{"slow_call_recycle_seconds", "1.5", func(l *wasmhost.Limits) { l.SlowCallRecycle = 1500 * time.Millisecond }},
		{"slow_call_recycle_seconds", "0.05", func(l *wasmhost.Limits) { l.SlowCallRecycle = 50 * time.Millisecond }},
	}
	for _, tc := range limits {
		b, err := openRef(t, ref, `{}`, wasmConfig(t, map[string]string{tc.key: tc.value}))
		require.NoError(t, err, tc.key)
		want := defaults
		tc.set(&want)
		assert.Equal(t, want, wasmhost.TenantOf(b).LimitsInForce(), "%s = %s", tc.key, tc.value)
		closeBackend(b)
	}
	b, err := openRef(t, ref, `{}`, wasmConfig(t, nil))
	require.NoError(t, err)
	assert.Equal(t, defaults, wasmhost.TenantOf(b).LimitsInForce(), "no options: the defaults")
	assert.False(t, wasmhost.TenantOf(b).Trusted())
	assert.Equal(t, wasmhost.Capabilities{}, wasmhost.TenantOf(b).Granted())
	closeBackend(b)

	b, err = openRef(t, ref, `{}`, wasmConfig(t, map[string]string{
		"name": "acme", "trusted": "true", "capabilities": "log, env, clock, random, http",
		"env_allow": "REGION, VAULT_ADDR", "http_allow_hosts": "127.0.0.1:8200, secrets.example.com", "http_timeout_seconds": "2",
	}))
	require.NoError(t, err)
	tn := wasmhost.TenantOf(b)
	assert.Equal(t, "wasm:acme", tn.Name())
	assert.True(t, tn.Trusted())
	assert.Equal(t, wasmhost.Capabilities{
		Log: true, Clock: true, Random: true, Env: []string{"REGION", "VAULT_ADDR"},
		HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{"127.0.0.1:8200", "secrets.example.com"}, Timeout: 2 * time.Second},
	}, tn.Granted())
	closeBackend(b)

	bad := []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"memory_pages": "0"}, "airflow.cfg:2: [wasm] memory_pages: must be an integer from 1 to 65536"},
		{map[string]string{"memory_pages": "65537"}, "airflow.cfg:2: [wasm] memory_pages: must be an integer from 1 to 65536"},
		{map[string]string{"max_output_bytes": "-5"}, "airflow.cfg:2: [wasm] max_output_bytes: must be a positive integer"},
		{map[string]string{"max_log_bytes": "0"}, "airflow.cfg:2: [wasm] max_log_bytes: must be a positive integer"},
		{map[string]string{"max_log_bytes": "4k"}, "airflow.cfg:2: [wasm] max_log_bytes: must be a positive integer"},
		{map[string]string{"pool_size": "0"}, "airflow.cfg:2: [wasm] pool_size: must be a positive integer"},
		{map[string]string{"fuel_per_call": "-1"}, "airflow.cfg:2: [wasm] fuel_per_call: must be a whole number"},
		{map[string]string{"fuel_per_call": "1e9"}, "airflow.cfg:2: [wasm] fuel_per_call: must be a whole number"},
		{map[string]string{"fuel_per_call": "99999999999999999999"}, "airflow.cfg:2: [wasm] fuel_per_call: must be a whole number"},
		{map[string]string{"slow_call_recycle_seconds": "0"}, "airflow.cfg:2: [wasm] slow_call_recycle_seconds: must be a number of seconds over 0"},
		{map[string]string{"slow_call_recycle_seconds": "-0.2"}, "airflow.cfg:2: [wasm] slow_call_recycle_seconds: must be a number of seconds over 0"},
		{map[string]string{"slow_call_recycle_seconds": "NaN"}, "airflow.cfg:2: [wasm] slow_call_recycle_seconds: must be a number of seconds over 0"},
		{map[string]string{"slow_call_recycle_seconds": "3601"}, "airflow.cfg:2: [wasm] slow_call_recycle_seconds: must be a number of seconds over 0, at most 3600"},
		{map[string]string{"slow_call_recycle_seconds": "200ms"}, "airflow.cfg:2: [wasm] slow_call_recycle_seconds: must be a number of seconds"},
		{map[string]string{"call_timeout_seconds": "nan"}, "airflow.cfg:2: [wasm] call_timeout_seconds: must be a number of seconds"},
		{map[string]string{"trusted": "maybe"}, "airflow.cfg:2: [wasm] trusted: must be true or false"},
		{map[string]string{"capabilities": "http", "http_allow_hosts": "h:1", "http_timeout_seconds": "0"}, "airflow.cfg:4: [wasm] http_timeout_seconds: must be a number of seconds"},
	}
	for _, tc := range bad {
		b, err := openRef(t, ref, `{}`, wasmConfig(t, tc.opts))
		closeBackend(b)
		require.Error(t, err, "%v", tc.opts)
		assert.ErrorIs(t, err, config.ErrInvalid)
		assert.True(t, strings.HasPrefix(err.Error(), tc.want), "got %q, want it to start with %q", err, tc.want)
	}
}

// TestWasmSectionFuelBudget: fuel_per_call stops a call that loops, long
// before its time limit.
func TestWasmSectionFuelBudget(t *testing.T) {
	ref, err := filepath.Abs("testdata/loop_lookup.wasm")
	require.NoError(t, err)
	b, err := openRef(t, ref, `{}`, wasmConfig(t, map[string]string{"fuel_per_call": "50000000", "call_timeout_seconds": "60"}))
	require.NoError(t, err)
	defer closeBackend(b)
	_, err = b.Lookup(t.Context(), connReq("x"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "RESOURCE_EXHAUSTED: CPU limit exceeded")
	assert.Contains(t, err.Error(), "units of fuel, over its budget of 50000000")
}

// TestWasmBackendUsesEnv: the backend's host logs to the Env's logger
// (a guest granted log, cut at max_log_bytes) and records metrics with the
// Env's meter provider.
func TestWasmBackendUsesEnv(t *testing.T) {
	ref, err := filepath.Abs("testdata/reference.wasm")
	require.NoError(t, err)
	var logs syncBuffer
	reader := sdkmetric.NewManualReader()
	b, err := resolver.OpenBackend(t.Context(), ref, resolver.Env{
		Kwargs: kwargs(t, `{"v:k": "v", "log": "reference lookup"}`),
		Config: wasmConfig(t, map[string]string{"name": "acme", "capabilities": "log", "max_log_bytes": "9"}),
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	require.NoError(t, err)
	defer closeBackend(b)
	v, err := b.Lookup(t.Context(), varReq("k"))
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	assert.Contains(t, logs.String(), "level=INFO msg=reference tenant=acme ", "the guest's line, cut at 9 bytes")
	assert.NotContains(t, logs.String(), "reference lookup")

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	created := int64(0)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "secretpath.wasm.instances.created" {
				for _, p := range sum.DataPoints {
					if tn, _ := p.Attributes.Value("secretpath.tenant"); tn.AsString() == "acme" {
						created += p.Value
					}
				}
			}
		}
	}
	assert.Equal(t, int64(1), created, "the tenant's first instance, recorded with the Env's meter provider")
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
