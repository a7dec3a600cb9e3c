package abitest

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/wasmhost"
)

// ExchangeBufferSize is the exchange buffer of every SDK's example (the
// longest id they accept).
const ExchangeBufferSize = 4096

// RunJSONDocEdgeCases runs the ABI edge cases through a jsondoc module m:
// an empty id, ids at and over the exchange buffer's size, values around
// the buffer's size (OK_IN_BUFFER vs result_set) and up to the output
// limit, unicode, escapes, kwargs far larger than any first read buffer,
// and concurrent lookups across pooled instances. cfg is the tenant's base
// configuration (limits).
func RunJSONDocEdgeCases(t *testing.T, h *wasmhost.Host, m *wasmhost.Module, cfg wasmhost.TenantConfig) {
	ctx := context.Background()
	long := func(n int, seed string) string { return strings.Repeat(seed, n/len(seed)+1)[:n] }
	vars := map[string]string{
		"":                              "the empty id",
		long(ExchangeBufferSize, "k"):   "an id as long as the buffer",
		long(ExchangeBufferSize-1, "k"): "one shorter",
		"fits":                          long(ExchangeBufferSize-4, "v"),
		"over":                          long(ExchangeBufferSize-3, "w"),
		"long":                          long(60<<10, "0123456789"),
		"too-long":                      long(80<<10, "x"),
		"ünïcödé ✓ 🔑":                   "значение 🎉",
		"esc\"\\/\b\f\n\r\t\u0001":      "nul\x00inside\u2028",
		"multi\nline":                   "a\nb\r\nc",
	}
	conns := map[string]any{
		"uri":  "postgres://u:p@h:5432/db",
		"json": map[string]any{"conn_type": "http", "host": "h", "extra": map[string]any{"k": []any{1, "2", nil, true}}},
	}
	// Padding makes the kwargs about 2 MiB: far over any first read buffer.
	pad := map[string]string{}
	for i := 0; i < 2000; i++ {
		pad["pad/"+strings.Repeat("p", 8)+string(rune('a'+i%26))+itoa(i)] = long(1000, "z")
	}
	kw, err := json.Marshal(map[string]any{"variables": vars, "connections": conns, "configs": pad})
	if err != nil {
		t.Fatal(err)
	}
	tc := cfg
	tc.Name = t.Name()
	tc.Kwargs = kw
	tc.Limits.PoolSize = 4
	tn, err := h.NewTenant(ctx, m, tc)
	if err != nil {
		t.Fatalf("NewTenant with %d bytes of kwargs: %v", len(kw), err)
	}
	defer tn.Close()

	for id, want := range vars {
		got, err := tn.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: id})
		if id == "too-long" {
			if s := statusOf(err); s != "RESOURCE_EXHAUSTED" {
				t.Errorf("variable %q (80 KiB): got %s (%v), want RESOURCE_EXHAUSTED", id[:min(len(id), 20)], s, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("variable %q: got %d bytes %q… (%v), want %d bytes", id[:min(len(id), 20)], len(got), got[:min(len(got), 20)], err, len(want))
		}
	}
	if _, err := tn.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: long(ExchangeBufferSize+1, "k")}); statusOf(err) != "INVALID_ARGUMENT" {
		t.Errorf("an id over the buffer: got %v, want INVALID_ARGUMENT", err)
	}
	if _, err := tn.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: "absent"}); statusOf(err) != "NOT_FOUND" {
		t.Errorf("absent: got %v, want NOT_FOUND", err)
	}
	if v, err := tn.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "uri"}); err != nil || v != conns["uri"] {
		t.Errorf("connection uri: got %q, %v", v, err)
	}
	if v, err := tn.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "json"}); err != nil || !json.Valid([]byte(v)) || !strings.Contains(v, `"conn_type":"http"`) {
		t.Errorf("connection json: got %q, %v", v, err)
	}
	if v, err := tn.Lookup(ctx, resolver.Request{Kind: resolver.KindConfig, ID: "pad/" + strings.Repeat("p", 8) + "o" + itoa(1990)}); err != nil || v != long(1000, "z") {
		t.Errorf("config pad: got %d bytes, %v", len(v), err)
	}

	// Concurrent lookups: more goroutines than pooled instances.
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				for _, id := range []string{"fits", "over", "long", "ünïcödé ✓ 🔑", ""} {
					if got, err := tn.Lookup(ctx, resolver.Request{Kind: resolver.KindVariable, ID: id}); err != nil || got != vars[id] {
						select {
						case errs <- id + ": " + statusOf(err):
						default:
						}
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent lookup %s", e)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
