;; no_result.wat: a valid ABI v1 module that returns OK without calling
;; result_set. Built by: wat2wasm no_result.wat -o no_result.wasm
;;
;; secretpath_get_connection: id "set" -> result_set("postgres://u:p@stale/")
;;   and OK (a proper answer); any other id -> OK without result_set.
;; secretpath_get_variable: OK without result_set, always.
;; The host must: fail a lookup that returned OK without result_set as an
;; ABI violation (ABI.md §2) naming result_set / "OK without a result";
;; discard the instance. Regression: "set" then "other" on the SAME instance
;; must not answer the stale "postgres://u:p@stale/" (per-lookup result state
;; is reset before each call).
(module
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "postgres://u:p@stale/")  ;; 21
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param $id_len i32) (result i32)
    (if (i32.and (i32.eq (local.get $id_len) (i32.const 3))
                 (i32.eq (i32.and (i32.load (i32.const 1024)) (i32.const 0xFFFFFF))
                         (i32.const 0x746573)))  ;; "set" little-endian
      (then (call $result_set (i32.const 0) (i32.const 21))))
    (i32.const 0))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 0))
)
