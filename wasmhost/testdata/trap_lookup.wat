;; trap_lookup.wat: a valid ABI v1 module whose lookups trap, three ways.
;; Built by: wat2wasm trap_lookup.wat -o trap_lookup.wasm
;;
;; secretpath_get_connection: result_set("postgres://leak:leak@h/") then
;;   unreachable                              (wazero: "wasm error: unreachable")
;; secretpath_get_variable:   result_set("leaked") then i32.div_u by 0
;;                                     (wazero: "wasm error: integer divide by zero")
;; secretpath_get_config:     i32.load at 0xFFFFFFF0
;;                                     (wazero: "wasm error: out of bounds memory access")
;; The host must, for each: fail the lookup with an error naming the tenant,
;; the module and the trap; never return the result set before the trap;
;; discard the instance; serve the next lookup from a fresh instance (init
;; runs again). init is OK.
(module
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "postgres://leak:leak@h/")  ;; 23
  (data (i32.const 32) "leaked")                  ;; 6
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32)
    (call $result_set (i32.const 0) (i32.const 23))
    (unreachable))
  (func (export "secretpath_get_variable") (param $id_len i32) (result i32)
    (call $result_set (i32.const 32) (i32.const 6))
    (i32.div_u (i32.const 1) (i32.sub (local.get $id_len) (local.get $id_len))))
  (func (export "secretpath_get_config") (param i32) (result i32)
    (i32.load (i32.const 0xFFFFFFF0)))
)
