;; wrong_sig_initialize.wat: the optional export _initialize has type
;; () -> i32 instead of () -> (); all else is right.
;; Built by: wat2wasm wrong_sig_initialize.wat -o wrong_sig_initialize.wasm
;;
;; The host must refuse it at load: "export _initialize: want () -> (), have
;; () -> i32".
(module
  (memory (export "memory") 1)
  (func (export "_initialize") (result i32) (i32.const 0))
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
