;; stack_overflow.wat: a valid ABI v1 module whose secretpath_get_connection
;; recurses without end ($recurse(n) = $recurse(n+1) + 1, so no tail call).
;; secretpath_get_variable: NOT_FOUND. Built by: wat2wasm stack_overflow.wat -o stack_overflow.wasm
;;
;; wazero traps with "wasm error: stack overflow" (measured: ~160 MiB of Go
;; heap allocated for the guest stack before the trap, in well under the
;; deadline). The host must: fail the lookup with an error naming the trap,
;; discard the instance, keep serving (a fresh instance answers the variable
;; lookup NOT_FOUND). The transient ~160 MiB per overflowing call is outside
;; the memory limit: worth knowing when sizing pools.
(module
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func $recurse (param $n i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
  (func (export "secretpath_get_connection") (param $id_len i32) (result i32)
    (call $recurse (local.get $id_len)))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
