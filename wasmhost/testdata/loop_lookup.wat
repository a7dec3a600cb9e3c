;; loop_lookup.wat: a valid ABI v1 module whose secretpath_get_connection
;; never returns (an empty infinite loop). Built by: wat2wasm loop_lookup.wat -o loop_lookup.wasm
;;
;; The host must: load it and create the tenant (init is OK); stop a
;; connection lookup at the tenant's wall-time limit (default 1 s) with an
;; error naming the tenant, the module and the time limit; discard that
;; instance; and keep serving: a variable lookup afterwards (on a fresh
;; instance) answers NOT_FOUND promptly. Needs WithCloseOnContextDone(true).
(module
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32)
    (loop $forever (br $forever))
    (unreachable))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
