;; start_host_call.wat: a module whose start function (run inside
;; InstantiateModule, before _initialize, before any lookup) calls every
;; always-available host function: kwargs_read(0, 0), result_set, error_set,
;; log, log_enabled. Otherwise a valid ABI v1 module (init OK, lookups
;; NOT_FOUND). Built by: wat2wasm start_host_call.wat -o start_host_call.wasm
;;
;; The host must not crash (no nil per-call state dereferenced in a host
;; function) and must not let anything set here leak into a later lookup: a
;; connection lookup afterwards answers NOT_FOUND, not "leaked-result". Either
;; outcome of the instantiation is acceptable as long as it is a clean error
;; or a working instance; the ABI does not yet say which (see README).
(module
  (import "secretpath_v1" "kwargs_read" (func $kwargs_read (param i32 i32) (result i32)))
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (import "secretpath_v1" "error_set" (func $error_set (param i32 i32)))
  (import "secretpath_v1" "log" (func $log (param i32 i32 i32)))
  (import "secretpath_v1" "log_enabled" (func $log_enabled (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "leaked-result")   ;; 13
  (data (i32.const 16) "leaked-error")   ;; 12
  (data (i32.const 32) "leaked-log")     ;; 10
  (func $start
    (drop (call $kwargs_read (i32.const 0) (i32.const 0)))
    (call $result_set (i32.const 0) (i32.const 13))
    (call $error_set (i32.const 16) (i32.const 12))
    (call $log (i32.const 1) (i32.const 32) (i32.const 10))
    (drop (call $log_enabled (i32.const 1))))
  (start $start)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
