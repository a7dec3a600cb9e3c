;; trap_init.wat: a valid ABI v1 module whose secretpath_init traps
;; (unreachable) after error_set("about to trap").
;; Built by: wat2wasm trap_init.wat -o trap_init.wasm
;;
;; The host must: fail the tenant's creation with an error naming the
;; tenant, the module and secretpath_init, saying the guest trapped
;; (wazero: "wasm error: unreachable"); never hand out the instance. Whether
;; the "about to trap" message appears is up to the host (a trap is not a
;; status, so the ABI does not promise it).
(module
  (import "secretpath_v1" "error_set" (func $error_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "about to trap")  ;; 13
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32)
    (call $error_set (i32.const 0) (i32.const 13))
    (unreachable))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
