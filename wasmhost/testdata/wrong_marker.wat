;; wrong_marker.wat: the marker secretpath_abi_v1 is a function of type
;; (i32) -> () instead of () -> (); all else is right.
;; Built by: wat2wasm wrong_marker.wat -o wrong_marker.wasm
;;
;; The host must refuse it at load: "export secretpath_abi_v1: want () -> (),
;; have (i32) -> ()" (the marker's type is part of the ABI, §2).
(module
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1") (param i32))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
