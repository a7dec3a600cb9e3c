package fuel_test

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/secretpath/secretpath/wasmhost/internal/fuel"
)

// FuzzInstrument: Instrument never panics, and whenever wazero compiles
// the input it compiles the output (or Instrument returned an error).
// Seeds: every fixture, and small modules covering the proposals.
func FuzzInstrument(f *testing.F) {
	for _, b := range fixtures(f) {
		f.Add(b)
	}
	for _, src := range featureModules {
		f.Add(wat(f, src))
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCoreFeatures(features))
	defer rt.Close(ctx)
	f.Fuzz(func(t *testing.T, wasm []byte) {
		out, err := fuel.Instrument(wasm, fuel.Config{})
		if err != nil {
			return
		}
		if manyLocals(wasm) {
			return // seconds to compile; the host refuses them before (prescan)
		}
		cm, err := rt.CompileModule(ctx, wasm)
		if err != nil {
			return
		}
		cm.Close(ctx)
		cm, err = rt.CompileModule(ctx, out)
		if err != nil {
			t.Fatalf("the input compiles, the instrumented output does not: %v", err)
		}
		cm.Close(ctx)
	})
}

// manyLocals reports whether a code section body declares over 50,000
// locals (or cannot be scanned), as wasmhost's prescan refuses.
func manyLocals(wasm []byte) bool {
	p := 8
	uleb := func(b []byte, i *int) uint64 {
		var v uint64
		for s := 0; *i < len(b) && s < 64; s += 7 {
			c := b[*i]
			*i++
			v |= uint64(c&0x7f) << s
			if c&0x80 == 0 {
				return v
			}
		}
		return 1 << 62
	}
	for p < len(wasm) {
		id := wasm[p]
		p++
		size := uleb(wasm, &p)
		if size > uint64(len(wasm)-p) {
			return true
		}
		sec := wasm[p : p+int(size)]
		p += int(size)
		if id != 10 {
			continue
		}
		i := 0
		n := uleb(sec, &i)
		for f := uint64(0); f < n && i < len(sec); f++ {
			sz := uleb(sec, &i)
			if sz > uint64(len(sec)-i) {
				return true
			}
			body, j := sec[i:i+int(sz)], 0
			i += int(sz)
			var locals uint64
			for g, groups := uint64(0), uleb(body, &j); g < groups && j < len(body); g++ {
				locals += uleb(body, &j)
				j++
				if locals > 50_000 {
					return true
				}
			}
		}
	}
	return false
}
