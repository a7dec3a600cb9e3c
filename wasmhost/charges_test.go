package wasmhost_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// chargeProbe makes one call of a host function from fuzz_guest.wasm that
// handles n bytes (0 or bytes): the bytes its charge class charges for.
type chargeProbe struct {
	bytes int
	call  func(p *gprog, n int) *gprog
}

// TestHostFunctionChargeClasses: a metered call pays for each secretpath_v1
// function what the hostFunctions table's charge class (ABI.md §6, "Host
// work by function") says: the entry charge on every call, plus, per byte
// the function handles, nothing (a call class), 1 (copy) or 4 (parse).
// Fuel is deterministic: two calls that differ only in the bytes handled
// differ by exactly the bytes' charge.
func TestHostFunctionChargeClasses(t *testing.T) {
	const n = 256 << 10 // bytes a probe handles
	body := bytes.Repeat([]byte("b"), n)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }))
	defer srv.Close()

	// The exchange buffer at the end of 64 pages makes secretpath_buffer
	// grow memory to 4 MiB, room for every probe from scratch (32768). The
	// init program returns OK at once: the rest is padding, so that
	// kwargs_read has 16 KiB to copy.
	const kwargsLen = 16 << 10
	url := srv.URL + "/"
	kwargs := guestKwargsFor(64*guestPageSize-guestDefBufN, guestDefBufN, url, prog().ret(0).bytes())
	kwargs = append(kwargs, bytes.Repeat([]byte{opNop}, kwargsLen-len(kwargs))...)

	probes := map[string]chargeProbe{
		"kwargs_read": {kwargsLen, func(p *gprog, n int) *gprog { return p.op(opKwargsRead, reg(rScratch), n) }},
		"result_set":  {n, func(p *gprog, n int) *gprog { return p.op(opResultSet, reg(rScratch), n) }},
		"error_set":   {1024, func(p *gprog, n int) *gprog { return p.op(opErrorSet, reg(rScratch), n) }}, // cut at 1 KiB
		"log":         {n, func(p *gprog, n int) *gprog { return p.op(opLog, 1, reg(rScratch), n) }},
		"log_enabled": {n, func(p *gprog, n int) *gprog { return p.op(opLogEnabled, n) }}, // the level: no bytes
		"env_get":     {n, func(p *gprog, n int) *gprog { return p.op(opEnvGet, reg(rScratch), n, reg(rScratch), 0) }},
		"clock_now":   {n, func(p *gprog, _ int) *gprog { return p.op(opClockNow) }},
		// An empty URL is refused (-2) after the method, URL and headers are
		// parsed: the headers are the bytes.
		"http_request": {n, func(p *gprog, n int) *gprog {
			return p.op(opHTTPRequest, reg(rGET), reg(rGETLen), 0, 0, reg(rScratch), n, 0, 0)
		}},
		"http_response_body": {n, func(p *gprog, n int) *gprog {
			return p.op(opHTTPRequest, reg(rGET), reg(rGETLen), reg(rURL), reg(rURLLen), 0, 0, 0, 0).
				op(opHTTPBody, reg(rScratch), n)
		}},
		"http_response_header": {n, func(p *gprog, n int) *gprog {
			return p.op(opHTTPHeader, reg(rScratch), n, reg(rScratch), 0)
		}},
	}

	h := newHost(t)
	tn, err := h.NewTenant(t.Context(), loadFixture(t, h, "fuzz_guest.wasm"), wasmhost.TenantConfig{
		Name: "charges", Kwargs: kwargs,
		Limits: wasmhost.Limits{PoolSize: 1, MaxOutputBytes: 2 * n},
		Capabilities: wasmhost.Capabilities{Env: []string{"SECRETPATH_TEST_UNSET"}, Clock: true,
			HTTP: &wasmhost.HTTPCapability{AllowHosts: []string{strings.TrimPrefix(srv.URL, "http://")}, MaxResponseBytes: 2 * n}},
	})
	require.NoError(t, err)
	defer tn.Close()
	require.True(t, tn.Metered())
	fuel := func(t *testing.T, p *gprog) int64 {
		t.Helper()
		_, err := tn.Lookup(t.Context(), connReq(p.ret(1).String()))
		require.ErrorIs(t, err, resolver.ErrNotFound, "the probe ran to its end")
		f := wasmhost.FuelOfLastCall(tn)
		require.Positive(t, f)
		return f
	}

	perByte, entry := wasmhost.HostFunctionCharges()
	for name, rate := range perByte {
		probe, ok := probes[name]
		if !assert.True(t, ok, "no charge probe for %s: add one", name) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			small, large := fuel(t, probe.call(prog(), 0)), fuel(t, probe.call(prog(), probe.bytes))
			assert.Equal(t, rate*int64(probe.bytes), large-small, "the charge for %d bytes", probe.bytes)

			// The entry charge: calls against as many ops that do nothing
			// (which cost the interpreter less: they have no arguments).
			const calls = 16
			withCalls, withNops := prog(), prog()
			for range calls {
				probe.call(withCalls, 0)
				withNops.op(opNop)
				if name == "http_response_body" {
					withNops.op(opNop) // its probe is two ops
				}
			}
			assert.GreaterOrEqual(t, fuel(t, withCalls)-fuel(t, withNops), calls*entry, "each call pays the entry charge")
		})
	}
}
