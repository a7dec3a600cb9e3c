package wasmhost_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// hostileTimeout keeps the looping fixtures quick.
const hostileTimeout = 300 * time.Millisecond

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".wasm"))
	require.NoError(t, err)
	return b
}

// bystander is a well-behaved tenant that keeps answering lookups while
// hostile tenants misbehave on the same host.
type bystander struct {
	ok, failed atomic.Int64
	lastErr    atomic.Value
	stop       chan struct{}
	done       sync.WaitGroup
}

func startBystander(t *testing.T, h *wasmhost.Host) *bystander {
	m := loadFixture(t, h, "reference.wasm")
	tn, err := h.NewTenant(context.Background(), m, wasmhost.TenantConfig{
		Name: "bystander", Kwargs: []byte(`{"c:pg": "postgres://u:p@db:5432/x"}`),
	})
	require.NoError(t, err)
	b := &bystander{stop: make(chan struct{})}
	b.done.Go(func() {
		for {
			select {
			case <-b.stop:
				return
			default:
			}
			v, err := tn.Lookup(context.Background(), connReq("pg"))
			if err != nil || v != "postgres://u:p@db:5432/x" {
				b.failed.Add(1)
				b.lastErr.Store(fmt.Sprintf("%q %v", v, err))
			} else {
				b.ok.Add(1)
			}
			time.Sleep(time.Millisecond)
		}
	})
	return b
}

func (b *bystander) check(t *testing.T) {
	close(b.stop)
	b.done.Wait()
	assert.Zero(t, b.failed.Load(), "the well-behaved tenant failed: %v", b.lastErr.Load())
	assert.Positive(t, b.ok.Load(), "the well-behaved tenant answered")
}

// deadlineOnly selects how untrusted test tenants are bounded: fuel
// metering (the default) or context deadlines. TestHostileModules runs
// every case both ways: the two must behave the same.
var deadlineOnly bool

func TestHostileModules(t *testing.T) {
	for _, mode := range []bool{false, true} {
		deadlineOnly = mode
		t.Run(map[bool]string{false: "metered", true: "deadline"}[mode], func(t *testing.T) {
			h := newHost(t)
			by := startBystander(t, h)
			t.Run("refused at load", func(t *testing.T) { testRefusedAtLoad(t, h) })
			t.Run("refused at creation", func(t *testing.T) { testRefusedAtCreation(t, h) })
			t.Run("failing lookups", func(t *testing.T) { testFailingLookups(t, h) })
			t.Run("out of bounds pointers", func(t *testing.T) { testOutOfBounds(t, h) })
			by.check(t)
		})
	}
	deadlineOnly = false
}

func testRefusedAtLoad(t *testing.T, h *wasmhost.Host) {
	tests := []struct{ module, want string }{
		{"missing_export", "missing export secretpath_get_variable (i32) -> (i32)"},
		{"wrong_sig", "export secretpath_get_connection: want (i32) -> (i32), have (i32, i32) -> (i32)"},
		{"wrong_sig_config", "export secretpath_get_config: want (i32) -> (i32), have (i32) -> (i64)"},
		{"wrong_sig_initialize", "export _initialize: want () -> (), have () -> (i32)"},
		{"wrong_marker", "export secretpath_abi_v1: want () -> (), have (i32) -> ()"},
		{"marker_global", "not a secretpath ABI v1 module"},
		{"no_marker", "lacks the marker export secretpath_abi_v1"},
		{"floor", "lacks the marker export secretpath_abi_v1"},
		{"no_memory", `does not export a memory named "memory"`},
		{"memory_not_exported", `does not export a memory named "memory"`},
		{"memory_is_func", `does not export a memory named "memory"`},
		{"unknown_import", "it imports secretpath_v2.result_set: only secretpath_v1 and wasi_snapshot_preview1 are provided"},
		{"unknown_func", "it imports secretpath_v1.no_such_function, which this host does not provide"},
		{"bad_import_sig", "import secretpath_v1.result_set: want (i32, i32) -> (), have (i32) -> ()"},
		{"env_import", "it imports env.abort"},
		{"import_memory", "it imports memory secretpath_v1.memory"},
		{"wasi_unknown", "it imports wasi_snapshot_preview1.no_such_function, which this host does not provide"},
		{"wasi_unstable", "it imports wasi_unstable.fd_write"},
		{"locals_bomb", "declares over 50000 locals"},
		{"huge_table", "its tables start with 134217728 elements; the limit is 1000000"},
		{"many_tables", "its tables start with 134217728 elements"},
		{"shared_memory", "does not compile"},
		{"memory64", "does not compile"},
	}
	for _, tt := range tests {
		t.Run(tt.module, func(t *testing.T) {
			_, err := h.Load(t.Context(), readFixture(t, tt.module))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "module sha256:", "the error names the module")
		})
	}
}

func testRefusedAtCreation(t *testing.T, h *wasmhost.Host) {
	limits := wasmhost.Limits{CallTimeout: hostileTimeout}
	tests := []struct {
		module string
		cfg    wasmhost.TenantConfig
		want   []string
	}{
		{"cap_env", wasmhost.TenantConfig{}, []string{`module imports env functions but the tenant is not granted "env"`}},
		{"cap_http", wasmhost.TenantConfig{}, []string{`not granted "http"`}},
		{"cap_clock", wasmhost.TenantConfig{}, []string{`not granted "clock"`}},
		{"buffer_oob", wasmhost.TenantConfig{}, []string{"exchange buffer [4294967040, 4294967040+512) is outside the guest's 65536 bytes"}},
		{"small_buffer", wasmhost.TenantConfig{}, []string{"exchange buffer is 16 bytes; ABI v1 needs at least 256"}},
		{"buffer_size_neg", wasmhost.TenantConfig{}, []string{"outside the guest's"}},
		{"loop_init", wasmhost.TenantConfig{Limits: limits}, []string{"secretpath_init", "exceeded the 300ms time limit"}},
		{"loop_initialize", wasmhost.TenantConfig{Limits: limits}, []string{"_initialize", "exceeded the 300ms time limit"}},
		{"loop_buffer", wasmhost.TenantConfig{Limits: limits}, []string{"secretpath_buffer", "exceeded the 300ms time limit"}},
		{"start_loop", wasmhost.TenantConfig{Limits: limits}, []string{"instantiate", "exceeded the 300ms time limit"}},
		{"trap_init", wasmhost.TenantConfig{}, []string{"secretpath_init", "trapped", "unreachable"}},
		{"init_fails", wasmhost.TenantConfig{}, []string{"secretpath_init: INVALID_ARGUMENT: bad kwargs: need x"}},
		{"huge_memory", wasmhost.TenantConfig{}, []string{"memory starts at 65536 pages, over the tenant's limit of 256"}},
		{"memory_over_limit", wasmhost.TenantConfig{}, []string{"memory starts at 257 pages"}},
	}
	for _, tt := range tests {
		t.Run(tt.module, func(t *testing.T) {
			m := loadFixture(t, h, tt.module+".wasm")
			tt.cfg.Name, tt.cfg.DeadlineOnly = tt.module, deadlineOnly
			_, err := h.NewTenant(t.Context(), m, tt.cfg) // a hang would hit go test's timeout
			require.Error(t, err)
			for _, s := range tt.want {
				assert.Contains(t, err.Error(), s)
			}
			assert.Contains(t, err.Error(), fmt.Sprintf("wasm tenant %q (module sha256:", tt.module))
		})
	}
}

type lookupCase struct {
	kind   resolver.Kind
	id     string
	want   string   // the value, when wantOK
	wantOK bool     // a value is expected
	errHas []string // else the error contains these
	isNF   bool     // else the error is not found
}

func lookup(ctx context.Context, tn *wasmhost.Tenant, kind resolver.Kind, id string) (string, error) {
	return tn.Lookup(ctx, resolver.Request{Kind: kind, ID: id})
}

func runLookups(t *testing.T, tn *wasmhost.Tenant, cases []lookupCase) {
	t.Helper()
	for _, c := range cases {
		v, err := lookup(t.Context(), tn, c.kind, c.id)
		name := fmt.Sprintf("%s %q", c.kind, c.id)
		switch {
		case c.wantOK:
			if assert.NoError(t, err, name) {
				assert.Equal(t, c.want, v, name)
			}
		case c.isNF:
			assert.ErrorIs(t, err, resolver.ErrNotFound, name)
		default:
			if assert.Error(t, err, name) {
				for _, s := range c.errHas {
					assert.Contains(t, err.Error(), s, name)
				}
				assert.NotErrorIs(t, err, resolver.ErrNotFound, name)
			}
			assert.Empty(t, v, "%s: no value with an error", name)
		}
	}
}

const (
	conn = resolver.KindConnection
	vari = resolver.KindVariable
	cfg  = resolver.KindConfig
)

func testFailingLookups(t *testing.T, h *wasmhost.Host) {
	tests := []struct {
		module string
		cfg    wasmhost.TenantConfig
		cases  []lookupCase
	}{
		{"loop_lookup", wasmhost.TenantConfig{Limits: wasmhost.Limits{CallTimeout: hostileTimeout}}, []lookupCase{
			{kind: conn, id: "x", errHas: []string{"secretpath_get_connection: RESOURCE_EXHAUSTED: exceeded the 300ms time limit"}},
			{kind: vari, id: "x", isNF: true}, // a fresh instance answers at once
		}},
		{"trap_lookup", wasmhost.TenantConfig{}, []lookupCase{
			{kind: conn, id: "x", errHas: []string{"trapped", "unreachable"}},
			{kind: vari, id: "x", errHas: []string{"trapped", "integer divide by zero"}},
			{kind: cfg, id: "x", errHas: []string{"trapped", "out of bounds memory access"}},
		}},
		// Growing wazero's stack to overflow takes ~0.3 s, more under -race;
		// a metered tenant stops at its call-depth counter first.
		{"stack_overflow", wasmhost.TenantConfig{Limits: wasmhost.Limits{CallTimeout: 20 * time.Second}}, []lookupCase{
			{kind: conn, id: "x", errHas: map[bool][]string{true: {"trapped", "stack overflow"}, false: {"exceeded the call depth limit"}}[deadlineOnly]},
			{kind: vari, id: "x", isNF: true},
		}},
		// A generous deadline: this case is about the memory limit, and growing
		// page by page is slow under -race on a loaded machine.
		{"grow_bomb", wasmhost.TenantConfig{Limits: wasmhost.Limits{CallTimeout: 20 * time.Second}}, []lookupCase{
			{kind: conn, id: "x", errHas: []string{"trapped after reaching its memory limit of 256 pages"}},
			{kind: vari, id: "256", wantOK: true, want: "256"},
			{kind: vari, id: "257", errHas: []string{"INTERNAL: memory.grow returned -1 at pages=256"}},
		}},
		{"no_result", wasmhost.TenantConfig{}, []lookupCase{
			{kind: conn, id: "set", wantOK: true, want: "postgres://u:p@stale/"},
			{kind: conn, id: "other", errHas: []string{"ABI violation: returned OK without calling result_set"}},
			{kind: vari, id: "x", errHas: []string{"ABI violation"}},
		}},
		{"bad_status", wasmhost.TenantConfig{}, []lookupCase{
			{kind: conn, id: "x", errHas: []string{"INTERNAL", "unknown status 99"}},
			{kind: vari, id: "x", errHas: []string{"INTERNAL", "unknown status 4294967295"}},
			{kind: cfg, id: "x", isNF: true},
		}},
		{"big_output", wasmhost.TenantConfig{}, []lookupCase{
			{kind: conn, id: "x", errHas: []string{"RESOURCE_EXHAUSTED", "result of 1048576 bytes exceeds the 65536-byte output limit"}},
			{kind: vari, id: "65537", errHas: []string{"RESOURCE_EXHAUSTED"}},
			{kind: vari, id: "0", wantOK: true, want: ""},
		}},
		{"statuses", wasmhost.TenantConfig{}, []lookupCase{
			{kind: conn, id: "0", wantOK: true, want: "postgres://u:p@db.example.com:5432/x"},
			{kind: conn, id: "1", isNF: true},
			{kind: conn, id: "2", errHas: []string{"INVALID_ARGUMENT: guest status 2"}},
			{kind: conn, id: "3", errHas: []string{"UNAVAILABLE: guest status 3"}},
			{kind: conn, id: "5", errHas: []string{"INTERNAL: guest status 5"}},
			{kind: conn, id: "6", isNF: true},
			{kind: conn, id: "7", errHas: []string{"RESOURCE_EXHAUSTED: guest status 7"}},
			// 8 is OK_IN_BUFFER: statuses.wat leaves its buffer as it is,
			// so the answer is whatever it holds; bench_guest_buf tests it.
			{kind: conn, id: "9", errHas: []string{"INTERNAL", "unknown status 9"}},
			{kind: conn, id: "-1", errHas: []string{"INTERNAL", "unknown status"}},
			{kind: vari, id: "0", wantOK: true, want: "variable-value"},
			{kind: cfg, id: "0", wantOK: true, want: "config-value"},
		}},
		{"wasi", wasmhost.TenantConfig{}, []lookupCase{
			{kind: conn, id: "environ", wantOK: true, want: "0 0"},
			{kind: conn, id: "args", wantOK: true, want: "0 0"},
			{kind: conn, id: "read", wantOK: true, want: "0 0"},
			{kind: conn, id: "preopen", wantOK: true, want: "8 0"},
			{kind: conn, id: "exit0", errHas: []string{"exited with code 0"}},
			{kind: conn, id: "exit1", errHas: []string{"exited with code 1"}},
		}},
		{"table_grow", wasmhost.TenantConfig{}, []lookupCase{
			{kind: conn, id: "x", errHas: []string{"trapped"}},
		}},
		{"memory_max_huge", wasmhost.TenantConfig{}, []lookupCase{{kind: conn, id: "x", isNF: true}}},
		{"bench_guest_buf", wasmhost.TenantConfig{}, []lookupCase{
			{kind: conn, id: "some-connection-id", wantOK: true, want: "postgres://user:password@db.example.com:5432/analytics?x=123"},
			{kind: vari, id: "x", errHas: []string{"ABI violation: OK_IN_BUFFER result of 1021 bytes does not fit the 1024-byte exchange buffer"}},
			{kind: conn, id: "again", wantOK: true, want: "postgres://user:password@db.example.com:5432/analytics?x=123"},
		}},
		{"start_host_call", wasmhost.TenantConfig{}, []lookupCase{{kind: conn, id: "x", isNF: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.module, func(t *testing.T) {
			tt.cfg.Name, tt.cfg.DeadlineOnly = tt.module, deadlineOnly
			tn, err := h.NewTenant(t.Context(), loadFixture(t, h, tt.module+".wasm"), tt.cfg)
			require.NoError(t, err)
			defer tn.Close()
			assert.Equal(t, !deadlineOnly, tn.Metered(), "fuel metering unless deadline-only")
			runLookups(t, tn, tt.cases)
		})
	}
	t.Run("statuses permission denied", func(t *testing.T) {
		tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "statuses.wasm"), wasmhost.TenantConfig{Name: "st"})
		require.NoError(t, err)
		_, err = tn.Lookup(t.Context(), connReq("4"))
		assert.ErrorIs(t, err, resolver.ErrPermissionDenied)
		var ge *wasmhost.GuestError
		require.True(t, errors.As(err, &ge))
		assert.Equal(t, wasmhost.StatusPermissionDenied, ge.Status)
	})
}

// testOutOfBounds sends every pointer-taking import a bad region (see
// testdata/README.md, "oob*").
func testOutOfBounds(t *testing.T, h *wasmhost.Host) {
	groups := []struct {
		module  string
		targets []string
		caps    wasmhost.Capabilities
	}{
		{"oob", []string{"kwargs_read", "result_set", "error_set", "log"}, wasmhost.Capabilities{}},
		{"oob", []string{"log"}, wasmhost.Capabilities{Log: true}},
		{"oob_env", []string{"env_get.name", "env_get.buf"}, wasmhost.Capabilities{Env: []string{"HOME"}}},
		{"oob_http", []string{"http_request.method", "http_request.url", "http_request.headers", "http_request.body",
			"http_response_body", "http_response_header.name", "http_response_header.buf"},
			wasmhost.Capabilities{HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{"127.0.0.1:9"}}}},
	}
	for _, g := range groups {
		tn, err := h.NewTenant(t.Context(), loadFixture(t, h, g.module+".wasm"), wasmhost.TenantConfig{Name: g.module, Capabilities: g.caps, DeadlineOnly: deadlineOnly})
		require.NoError(t, err)
		for _, target := range g.targets {
			fn := target
			if i := indexByte(fn, '.'); i >= 0 {
				fn = fn[:i]
			}
			okValue := "returned"
			if target == "result_set" {
				okValue = "ok-value"
			}
			edgeValue := "returned"
			if target == "result_set" {
				edgeValue = ""
			}
			var cases []lookupCase
			cases = append(cases, lookupCase{kind: conn, id: target + ":ok", wantOK: true, want: okValue})
			cases = append(cases, lookupCase{kind: conn, id: target + ":edge0", wantOK: true, want: edgeValue})
			for _, v := range []string{"end", "straddle", "wrap", "neglen", "far0"} {
				cases = append(cases, lookupCase{kind: conn, id: target + ":" + v, errHas: []string{"ABI violation: " + fn + ": region", "outside the guest's"}})
			}
			t.Run(fmt.Sprintf("%s/%s/log=%v", g.module, target, g.caps.Log), func(t *testing.T) { runLookups(t, tn, cases) })
		}
		_ = tn.Close()
	}
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// TestCallerCancelsLoopingLookup: a caller that gives up gets its own
// context error at once, long before the tenant's deadline, and the
// instance is replaced.
func TestCallerCancelsLoopingLookup(t *testing.T) {
	h := newHost(t)
	tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "loop_lookup.wasm"), wasmhost.TenantConfig{
		Name: "looper", Limits: wasmhost.Limits{CallTimeout: time.Minute},
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = tn.Lookup(ctx, connReq("x"))
	assert.ErrorIs(t, err, context.Canceled)
	_, err = tn.Lookup(t.Context(), varReq("x"))
	assert.ErrorIs(t, err, resolver.ErrNotFound, "a fresh instance answers")
}
