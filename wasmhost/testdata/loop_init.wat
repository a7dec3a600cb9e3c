;; loop_init.wat: a valid ABI v1 module whose secretpath_init never returns.
;; Built by: wat2wasm loop_init.wat -o loop_init.wasm
;;
;; The host must: fail the tenant's creation after the wall-time limit
;; (default 1 s) with an error naming the tenant, the module, secretpath_init
;; and the time limit; never hang; never hand out the instance.
(module
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32)
    (loop $forever (br $forever))
    (unreachable))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
