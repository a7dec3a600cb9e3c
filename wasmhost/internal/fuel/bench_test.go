package fuel_test

import (
	"context"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/secretpath/secretpath/wasmhost/internal/fuel"
)

// BenchmarkFuel compares, in the same run, spin(10000) from loop.wasm and
// a connection lookup of bench_guest.wasm: unmetered (plain runtime),
// metered (instrumented, plain runtime, the fuel global set per call as
// the host would) and ctxclose (WithCloseOnContextDone + a per-call
// context.WithTimeout).
func BenchmarkFuel(b *testing.B) {
	all := fixtures(b)
	type work struct {
		name, fixture, fn string
		arg               uint64
		id                bool
	}
	for _, w := range []work{
		{"loop10k", "loop", "spin", 10000, false},
		{"lookup", "bench_guest", "secretpath_get_connection", 16, true},
	} {
		for _, mode := range []string{"unmetered", "metered", "ctxclose"} {
			b.Run(w.name+"/"+mode, func(b *testing.B) {
				ctx := context.Background()
				rt := newRuntime(b, ctx, mode == "ctxclose")
				defer rt.Close(ctx)
				wasm := all[w.fixture]
				if mode == "metered" {
					wasm = mustInstrument(b, wasm)
				}
				cm, err := rt.CompileModule(ctx, wasm)
				if err != nil {
					b.Fatal(err)
				}
				if w.id { // secretpath_v1.result_set: copies the result, as the host does
					var sink []byte
					_, err := rt.NewHostModuleBuilder("secretpath_v1").NewFunctionBuilder().
						WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, m api.Module, s []uint64) {
							v, _ := m.Memory().Read(uint32(s[0]), uint32(s[1]))
							sink = append(sink[:0], v...)
						}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil).Export("result_set").Instantiate(ctx)
					if err != nil {
						b.Fatal(err)
					}
				}
				mod, err := rt.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName(""))
				if err != nil {
					b.Fatal(err)
				}
				if w.id {
					mod.Memory().Write(1024, []byte("conn-0123456789a"))
				}
				fn := mod.ExportedFunction(w.fn)
				var g api.MutableGlobal
				if mode == "metered" {
					g = mod.ExportedGlobal(fuel.DefaultGlobalExport).(api.MutableGlobal)
				}
				stack := make([]uint64, 1)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					stack[0] = w.arg
					switch mode {
					case "unmetered":
						err = fn.CallWithStack(ctx, stack)
					case "metered":
						g.Set(1 << 40) // the call's budget
						err = fn.CallWithStack(ctx, stack)
					case "ctxclose":
						cctx, cancel := context.WithTimeout(ctx, time.Second)
						err = fn.CallWithStack(cctx, stack)
						cancel()
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
