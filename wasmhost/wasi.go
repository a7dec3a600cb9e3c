package wasmhost

import (
	"context"
	"fmt"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// instantiateWASI defines wasi_snapshot_preview1 in rt: wazero's functions,
// for untrusted runtimes each behind the entry check of every host
// function (instance.enter) and a charge for the guest-sized work it is
// asked to do (wasiCosts). random_get and fd_write on stdout and stderr are
// also charged as they go, by the instance's random source and log writer.
// Trusted tenants get wazero's functions as they are.
func instantiateWASI(ctx context.Context, rt wazero.Runtime, class int) error {
	if class == classTrusted {
		_, err := wasi_snapshot_preview1.Instantiate(ctx, rt)
		return err
	}
	// Compiled only to read wazero's functions and their signatures.
	cm, err := wasi_snapshot_preview1.NewBuilder(rt).Compile(ctx)
	if err != nil {
		return err
	}
	defer cm.Close(ctx)
	b := rt.NewHostModuleBuilder(wasiModule)
	for name, def := range cm.ExportedFunctions() {
		fn, ok := def.GoFunction().(api.GoModuleFunction)
		if !ok {
			return fmt.Errorf("WASI function %s is a %T, not a Go module function", name, def.GoFunction())
		}
		costs, caps := wasiCosts(def), wasiCaps(def)
		b.NewFunctionBuilder().
			WithGoModuleFunction(wasiEntry(fn, costs, caps), def.ParamTypes(), def.ResultTypes()).
			WithParameterNames(def.ParamNames()...).
			WithResultNames(def.ResultNames()...).
			Export(name)
	}
	_, err = b.Instantiate(ctx)
	return err
}

// wasiCost charges perUnit units of fuel for each unit of parameter param:
// the length of something the WASI function walks.
type wasiCost struct {
	param   int
	perUnit int64
}

// wasiCosts lists what a WASI function is charged beyond hostCallFuel, by
// its parameter names: the iovecs it walks (fd_read, fd_write, ...), the
// subscriptions poll_oneoff reads, the paths the path_ functions read.
// random_get's bytes and fd_write's data are charged as they are produced
// or written (randSource, logWriter).
func wasiCosts(def api.FunctionDefinition) []wasiCost {
	var costs []wasiCost
	for i, p := range def.ParamNames() {
		switch {
		case p == "iovs_len" || p == "ri_data_len" || p == "si_data_len":
			costs = append(costs, wasiCost{i, 16 * hostByteFuel}) // 8 bytes read, and a read or write call
		case p == "nsubscriptions":
			costs = append(costs, wasiCost{i, 64 * hostByteFuel}) // 48 bytes read, an event allocated
		case strings.HasSuffix(p, "path_len") && !strings.HasPrefix(p, "result."):
			costs = append(costs, wasiCost{i, hostByteFuel})
		}
	}
	return costs
}

// maxPollSubscriptions caps the subscriptions of one poll_oneoff call. wazero
// reads them all and allocates an event for each after the call's single
// charge (~175k allocations for 8 MiB of them). Guests poll few: a sleep is
// one clock subscription (std Go, TinyGo, Rust's std, wasi-libc's
// nanosleep); std Go's netpoll adds a read and a write subscription per
// descriptor it waits on, and a guest here has only stdin, stdout and
// stderr: at most 7, so 64 leaves 9x headroom. poll() in wasi-libc takes one
// per descriptor polled: 63 descriptors, more than a guest can open here.
const maxPollSubscriptions = 64

// wasiErrnoInval is WASI preview 1's errno EINVAL ("invalid argument").
const wasiErrnoInval = 28

// wasiCap refuses a call of a WASI function whose parameter param is over
// max, with errno EINVAL, before the function runs or is charged for it.
type wasiCap struct {
	param int
	max   uint32
}

// wasiCaps lists what a WASI function refuses by the size of its arguments:
// poll_oneoff more than maxPollSubscriptions subscriptions.
func wasiCaps(def api.FunctionDefinition) []wasiCap {
	var caps []wasiCap
	for i, p := range def.ParamNames() {
		if p == "nsubscriptions" {
			caps = append(caps, wasiCap{i, maxPollSubscriptions})
		}
	}
	return caps
}

// wasiEntry wraps a WASI function with the entry check of every host
// function, its argument caps and its charges.
func wasiEntry(fn api.GoModuleFunction, costs []wasiCost, caps []wasiCap) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		in := instanceOf(ctx)
		in.enter(mod)
		for _, c := range caps {
			if uint32(stack[c.param]) > c.max {
				stack[0] = wasiErrnoInval
				return
			}
		}
		for _, c := range costs {
			in.work(mod, int64(uint32(stack[c.param]))*c.perUnit)
		}
		fn.Call(ctx, mod, stack)
	}
}
