;; bad_status.wat: a valid ABI v1 module returning statuses outside the
;; table, and results before non-OK statuses.
;; Built by: wat2wasm bad_status.wat -o bad_status.wasm
;;
;; secretpath_get_connection: result_set("postgres://leak:leak@h/") then
;;   status 99. Host: INTERNAL (ABI.md §4 "any other value"), the result is
;;   ignored (never returned, never parsed, never in the error).
;; secretpath_get_variable: status -1 (0xFFFFFFFF). Host: INTERNAL.
;; secretpath_get_config: result_set("leaked") then NOT_FOUND(1). Host:
;;   not found (resolver.ErrNotFound); the result is ignored.
;; No trap: the instance may be kept (an unknown status is a guest bug, but
;; not an ABI violation in ABI.md's list; the README notes the question).
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
    (i32.const 99))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const -1))
  (func (export "secretpath_get_config") (param i32) (result i32)
    (call $result_set (i32.const 32) (i32.const 6))
    (i32.const 1))
)
