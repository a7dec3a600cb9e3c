;; init_fails.wat: a valid ABI v1 module whose secretpath_init refuses its
;; kwargs: error_set("bad kwargs: need x") and INVALID_ARGUMENT(2).
;; Built by: wat2wasm init_fails.wat -o init_fails.wasm
;;
;; The host must: fail the tenant's creation with an error naming the
;; tenant and the module, saying INVALID_ARGUMENT, and containing the guest's
;; message "bad kwargs: need x"; never hand out the instance. No trap.
(module
  (import "secretpath_v1" "error_set" (func $error_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "bad kwargs: need x")  ;; 18
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32)
    (call $error_set (i32.const 0) (i32.const 18))
    (i32.const 2))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
