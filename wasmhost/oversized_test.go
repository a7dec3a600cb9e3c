package wasmhost_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// TestOversizedIDs: an id longer than the guest's exchange buffer is
// refused by the host without calling the guest, with an error giving the
// sizes but not the id; one that fills the buffer exactly is sent.
func TestOversizedIDs(t *testing.T) {
	h := newHost(t)
	tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "reference.wasm"), wasmhost.TenantConfig{
		Name: "ids", Kwargs: []byte(`{"c:` + strings.Repeat("k", 1024) + `": "mysql://h"}`),
	})
	require.NoError(t, err)
	mem := tn.MemoryBytes()
	ids := map[int]string{}
	for _, n := range []int{1025, 1 << 20, 16 << 20} {
		ids[n] = "id-S3cret-" + strings.Repeat("x", n-10)
	}
	for _, kind := range lookupKinds {
		v, err := lookup(t.Context(), tn, kind, strings.Repeat("k", 1024))
		if kind == resolver.KindConnection {
			require.NoError(t, err, "an id of exactly the buffer's size")
			assert.Equal(t, "mysql://h", v)
		} else {
			assert.ErrorIs(t, err, resolver.ErrNotFound)
		}
		for n, id := range ids {
			_, err := lookup(t.Context(), tn, kind, id)
			require.Error(t, err, "%s of %d bytes", kind, n)
			assert.Contains(t, err.Error(), fmt.Sprintf(`wasm tenant "ids" (module %s): %s: INVALID_ARGUMENT: id of %d bytes does not fit the guest's 1024-byte buffer`,
				tn.Module().ID(), exportOf(kind), n))
			assert.NotContains(t, err.Error(), "id-S3cret", "the error does not carry the id")
		}
	}
	assert.Equal(t, mem, tn.MemoryBytes(), "no id reached guest memory")
}

func exportOf(k resolver.Kind) string {
	return map[resolver.Kind]string{
		resolver.KindConnection: "secretpath_get_connection",
		resolver.KindVariable:   "secretpath_get_variable",
		resolver.KindConfig:     "secretpath_get_config",
	}[k]
}

// TestOversizedKwargs: kwargs larger than the tenant's memory limit are
// refused by the host at creation (the guest could never read them); below
// it, large kwargs work as far as the guest's memory allows, and a guest
// that runs out fails init cleanly. No error carries the kwargs.
func TestOversizedKwargs(t *testing.T) {
	const pages = 16 // 1 MiB
	h := newHost(t)
	m := loadFixture(t, h, "reference.wasm")
	kwargs := func(n int) []byte { // a JSON object of n bytes: one variable "big"
		b, err := json.Marshal(map[string]string{"v:big": "kw-S3cret-" + strings.Repeat("v", n-len(`{"v:big":""}`)-10)})
		require.NoError(t, err)
		require.Len(t, b, n)
		return b
	}
	limits := wasmhost.Limits{MemoryPages: pages, MaxOutputBytes: pages * guestPageSize}

	tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{Name: "big", Kwargs: kwargs(512 << 10), Limits: limits})
	require.NoError(t, err, "512 KiB of kwargs in 1 MiB of memory")
	v, err := tn.Lookup(t.Context(), varReq("big"))
	require.NoError(t, err)
	assert.Len(t, v, 512<<10-len(`{"v:big":""}`))

	tests := []struct {
		name string
		size int
		want string
	}{
		{"over the memory limit", pages*guestPageSize + 1, fmt.Sprintf("kwargs of %d bytes exceed the tenant's memory limit of 1048576 bytes (16 pages)", pages*guestPageSize+1)},
		{"far over the memory limit", 4 << 20, "kwargs of 4194304 bytes exceed the tenant's memory limit of 1048576 bytes (16 pages)"},
		{"within the limit but not the guest's room", pages*guestPageSize - 1024, "secretpath_init: INTERNAL: reference: out of memory for kwargs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{Name: "huge", Kwargs: kwargs(tt.size), Limits: limits})
			require.Error(t, err)
			assert.Nil(t, tn)
			assert.Contains(t, err.Error(), fmt.Sprintf(`wasm tenant "huge" (module %s): %s`, m.ID(), tt.want))
			assert.NotContains(t, err.Error(), "kw-S3cret")
		})
	}
}

// TestOversizedResults: a result over the output limit, pushed with
// result_set or left in the exchange buffer (OK_IN_BUFFER), fails that
// lookup with RESOURCE_EXHAUSTED and keeps the instance; one at the limit
// passes. (big_output covers result_set up to 1 MiB.)
func TestOversizedResults(t *testing.T) {
	const limit = 64 << 10
	h := newHost(t)
	tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "fuzz_guest.wasm"), wasmhost.TenantConfig{
		Name: "results", Kwargs: guestKwargsFor(guestScratch, 256<<10, "", nil), Limits: wasmhost.Limits{PoolSize: 1},
		Capabilities: wasmhost.Capabilities{Env: []string{"UNUSED"}, Clock: true, HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{"127.0.0.1:9"}}},
	})
	require.NoError(t, err)
	// inBuffer leaves a result of n bytes in the buffer, after marking the
	// instance (at 600, an unused word) so that the next lookup can tell
	// whether it runs on the same one.
	const mark = 600
	inBuffer := func(n int) string {
		return prog().op(opStore, mark, 0x4B455054).op(opStore, reg(rBuf), n).ret(int(wasmhost.StatusOKInBuffer)).String()
	}
	kept := prog().op(opResultSet, mark, 4).ret(0).String()
	exhausted := []string{"RESOURCE_EXHAUSTED", fmt.Sprintf("exceeds the %d-byte output limit", limit)}
	for _, n := range []int{limit + 1, 200 << 10, 256<<10 - 4} {
		runLookups(t, tn, []lookupCase{
			{kind: conn, id: inBuffer(n), errHas: append([]string{fmt.Sprintf("result of %d bytes", n)}, exhausted...)},
			{kind: conn, id: kept, wantOK: true, want: "TPEK"},
		})
	}
	v, err := tn.Lookup(t.Context(), connReq(inBuffer(limit)))
	require.NoError(t, err)
	assert.Len(t, v, limit, "a result at the limit passes")
	runLookups(t, tn, []lookupCase{
		{kind: conn, id: inBuffer(256 << 10), errHas: []string{"ABI violation: OK_IN_BUFFER result of 262144 bytes does not fit the 262144-byte exchange buffer"}},
		{kind: conn, id: prog().op(opResultSet, 0, 256<<10).ret(0).String(), errHas: append([]string{"result of 262144 bytes"}, exhausted...)},
		{kind: conn, id: kept, wantOK: true, want: "\x00\x00\x00\x00"}, // the violation discarded the instance
	})
}

// TestOversizedLogsAndMessages: a guest logging its whole 16 MiB memory,
// many times over, has at most its per-call log budget written; each call
// gets a fresh budget; without the log grant nothing is written. An error
// message is cut to 1 KiB.
func TestOversizedLogsAndMessages(t *testing.T) {
	logs := &logCounter{}
	h, err := wasmhost.New(t.Context(), wasmhost.Options{Logger: slog.New(logs)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(t.Context()) })
	m := loadFixture(t, h, "fuzz_guest.wasm")
	flood := prog().op(opGrow, wasmhost.DefaultMemoryPages-1).op(opFill, guestScratch, 'L', wasmhost.DefaultMemoryPages*guestPageSize-guestScratch)
	for range 100 {
		flood.op(opLog, 3, 0, reg(rMemSize))
		flood.op(opLog, 0, guestScratch, 4096)
	}
	floodProg := flood.ret(1).String()
	bigError := prog().op(opErrorSet, 0, reg(rMemSize)).ret(5).String()
	// 1023 ASCII bytes then an invalid byte, which becomes U+FFFD (3 bytes)
	// across the 1 KiB mark.
	straddle := prog().op(opFill, guestScratch, 'a', 1023).op(opStore, guestScratch+1023, 0x80).
		op(opErrorSet, guestScratch, 1027).ret(5).String()

	for _, granted := range []bool{false, true} {
		name := fmt.Sprintf("logger-%v", granted)
		tn, err := h.NewTenant(t.Context(), m, wasmhost.TenantConfig{
			Name: name, Kwargs: guestKwargsFor(guestDefBuf, guestDefBufN, "", nil),
			Capabilities: wasmhost.Capabilities{Log: granted, Env: []string{"UNUSED"}, Clock: true,
				HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{"127.0.0.1:9"}}},
		})
		require.NoError(t, err)
		for call := 1; call <= 3; call++ {
			_, err := tn.Lookup(t.Context(), connReq(floodProg))
			require.ErrorIs(t, err, resolver.ErrNotFound)
			want := int64(0)
			if granted {
				want = int64(call * wasmhost.DefaultMaxLogBytes)
			}
			assert.Equal(t, want, logs.counter(name).Load(), "call %d: the budget per call, and nothing without the grant", call)
		}
		for _, p := range []string{bigError, straddle} {
			_, err = tn.Lookup(t.Context(), connReq(p))
			require.Error(t, err)
			var ge *wasmhost.GuestError
			require.ErrorAs(t, err, &ge)
			assert.LessOrEqual(t, len(ge.Msg), 1024, "the guest's message is cut to 1 KiB")
			assert.Greater(t, len(ge.Msg), 1000)
			assert.True(t, utf8.ValidString(ge.Msg), "cut between characters: %q", ge.Msg[len(ge.Msg)-8:])
		}
	}
}

// TestOversizedArgumentsAllocateLittle: a guest passing its whole 16 MiB
// memory as an env variable name, a header name, a log line or an error
// message makes the host allocate about what the limits allow (a log line
// within the budget, a 1 KiB message), not the 16 MiB: a tenant cannot make
// the host churn memory that other tenants' lookups would pay for in
// garbage collection.
func TestOversizedArgumentsAllocateLittle(t *testing.T) {
	h := newHost(t)
	tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "fuzz_guest.wasm"), wasmhost.TenantConfig{
		Name: "big-args", Kwargs: guestKwargsFor(guestDefBuf, guestDefBufN, "", nil), Limits: wasmhost.Limits{PoolSize: 1},
		Capabilities: wasmhost.Capabilities{Log: true, Env: []string{"SECRETPATH_TEST_UNSET"}, Clock: true,
			HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{"127.0.0.1:9"}}},
	})
	require.NoError(t, err)
	p := prog().op(opGrow, wasmhost.DefaultMemoryPages-1)
	for range 4 {
		p.op(opEnvGet, 0, reg(rMemSize), reg(rScratch), 0)
		p.op(opHTTPHeader, 0, reg(rMemSize), reg(rScratch), 0)
		p.op(opLog, 2, 0, reg(rMemSize))
		p.op(opErrorSet, 0, reg(rMemSize))
	}
	big := p.ret(5).String()
	_, err = tn.Lookup(t.Context(), connReq(big)) // grows the instance's memory once
	require.Error(t, err)

	const runs = 10
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		_, err := tn.Lookup(t.Context(), connReq(big))
		require.Error(t, err)
		require.Contains(t, err.Error(), "INTERNAL")
	}
	runtime.ReadMemStats(&after)
	perLookup := (after.TotalAlloc - before.TotalAlloc) / runs
	assert.Less(t, perLookup, uint64(256<<10), "bytes allocated per lookup that passes 16 names, lines and messages of 16 MiB")
}
