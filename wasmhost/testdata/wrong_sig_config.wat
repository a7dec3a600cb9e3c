;; wrong_sig_config.wat: the OPTIONAL export secretpath_get_config has
;; type (i32) -> i64 instead of (i32) -> i32; all else is right.
;; Built by: wat2wasm wrong_sig_config.wat -o wrong_sig_config.wasm
;;
;; The host must refuse it at load (ABI.md §2: "The signatures are exact: an
;; export with another type is refused"): "export secretpath_get_config: want
;; (i32) -> i32, have (i32) -> i64". Not silently treat it as absent.
(module
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_config") (param i32) (result i64) (i64.const 1))
)
