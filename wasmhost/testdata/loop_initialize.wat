;; loop_initialize.wat: a valid ABI v1 module whose _initialize (the WASI
;; reactor initialiser the host calls first) never returns.
;; Built by: wat2wasm loop_initialize.wat -o loop_initialize.wasm
;;
;; The host must: fail the tenant's creation after the wall-time limit
;; (default 1 s) with an error naming the tenant, the module, _initialize and
;; the time limit; never hang. (_initialize must run under the same deadline
;; as every other guest call.)
(module
  (memory (export "memory") 1)
  (func (export "_initialize")
    (loop $forever (br $forever)))
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
