// Package fuel rewrites a WebAssembly module so that it meters its own
// execution, giving untrusted guests a deterministic CPU bound without
// wazero's WithCloseOnContextDone (which calls back into Go on every loop
// back-edge).
//
// # What the rewrite adds
//
//   - A function import cfg.ImportModule.cfg.ImportName (default
//     "secretpath_fuel"."refill") of type () -> (), appended after the
//     existing imports. Its index is the number of function imports the
//     module had; every defined function's index shifts by one, so the
//     rewriter renumbers call, return_call, ref.func (in code, global
//     initialisers and element expressions), element segments of every form
//     (function-index lists and expression lists), func exports, the start
//     section, and the "name" custom section's function, local and label
//     maps (subsections 1, 2, 3; the others are copied). A name section that
//     does not parse is dropped (it is advisory). Every other custom section
//     is kept byte-identical, in place.
//
//   - A type () -> () (an existing one is reused, else one is appended).
//
//   - A mutable i64 global, defined at the end of the global section (no
//     global is renumbered), initialised to cfg.InitialFuel (default 0) and
//     exported as cfg.GlobalExport (default "secretpath_fuel").
//
//   - Metering code at every function entry and every loop header:
//
//     global.get $fuel; i64.const COST; i64.sub; global.set $fuel
//     global.get $fuel; i64.const 0; i64.lt_s; if; call $refill; end
//
//     The sequence is stack-neutral, so it is valid at a loop header with
//     parameters too.
//
//   - With Config.MaxCallDepth, a call-depth counter: a second mutable i32
//     global (exported as Config.DepthExport), to which each function adds
//     its frame weight at entry, trapping past the limit, inside a block
//     whose end subtracts it again; return becomes a br to that block and
//     tail calls subtract first. Labels in the name section are not
//     renumbered for the added block.
//
// Sections are otherwise copied: the code section and each body are
// re-encoded with their new sizes; data, data count, table, memory and
// everything after the code section are untouched. Missing type, import,
// global or export sections are created at their place in the order.
//
// # Cost model
//
// One unit of fuel is one WebAssembly instruction (every instruction costs
// 1, including block, loop, end, br, call). Charges are static and
// per region: region 0 of a function is its body outside any loop; each
// loop's region is its body outside the loops nested in it. The function
// entry is charged region 0 in full, each loop header its loop's region in
// full (each iteration passes the header). This over-approximates: both
// arms of an if and the code after an early return or br are charged. It is
// sound: every executed instruction has been paid for before it runs (the
// entry meter comes first in a body, the loop meter first in a loop), and
// it is deterministic: the same calls consume the same fuel on every machine.
// The metering instructions themselves are not charged. A call's cost is
// 1 in the caller plus whatever the callee's entry charges; host functions
// (WASI, secretpath_v1) cost 1, their own time is the host's business.
//
// Instructions whose work depends on an operand are charged for it at run
// time, before they run, from the i32 count on top of the stack (kept in
// one added i32 scratch local in the functions that need it):
//
//   - memory.copy, memory.fill, memory.init: n / BulkBytesPerFuel (default
//     32 bytes per unit);
//   - memory.grow: min(delta, 65536) pages × 65536 / BulkBytesPerFuel (the
//     zeroing of the new pages; the clamp keeps a failing probe cheap);
//   - table.copy, table.fill, table.init: n (one unit per element);
//     table.grow: min(n, 2^20).
//
// The charge is made even if the instruction then traps (out of bounds) or
// fails (grow returns -1): with a small budget such a call may fail with the
// CPU error instead of the trap. Either way the call fails.
//
// # The host's side
//
// The fuel global is the remaining budget; it may go negative by at most
// the cost being charged. The rewritten code calls refill whenever it is
// negative after a charge. The host's refill (a Go host function of type
// () -> () in module cfg.ImportModule) either adds fuel to the global
// (ExportedGlobal(cfg.GlobalExport).(api.MutableGlobal).Set) and returns, or
// fails the call (panic with a "CPU limit exceeded" error: wazero turns it
// into the call's error). Two policies fit:
//
//   - budget per call: set the global to the budget before each call
//     (and instantiation, for start functions and _initialize); refill
//     always refuses.
//   - chunks with a deadline: set the global to a chunk (e.g. 2^20) before
//     the call; refill refuses when the call's context is done or the
//     per-call budget is spent (granted - current value), else adds a
//     chunk. This bounds wall time too, at the cost of one host call per
//     chunk.
//
// With InitialFuel 0 a start function or _initialize calls refill at once,
// so instantiation is metered by the same host function.
//
// A refill that returns without making the global non-negative is allowed:
// the next metering point calls it again.
//
// # What is declined
//
// Instrument decodes every instruction of MVP, sign extension, non-trapping
// float-to-int, bulk memory, reference types, multi-value, SIMD (the 0xFD
// opcodes up to 255) and tail calls. It returns an error wrapping
// ErrUnsupported for threads/atomics (0xFE), exception handling (try,
// throw, try_table, the tag section), GC and typed function references
// (call_ref, non-0x60 types, other value or heap types), multiple memories
// and memory64, relaxed SIMD, component binaries and unknown sections. A
// malformed module gets a plain error. Modules that already import the
// refill function or export the global name get ErrInstrumented: markers
// are never trusted, a hostile guest could fake them. Inspect reports the
// markers of a module (for caches of instrumented output, not to skip
// instrumenting untrusted input).
package fuel
