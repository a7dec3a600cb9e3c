;; host_loop_caps.wat: host_loop.wat for the capability functions env_get
;; and http_request (its tenant must be granted env and http). Each call
;; passes arguments as large as the module's memory (256 pages = 16 MiB).
;; Built by: wat2wasm host_loop_caps.wat -o host_loop_caps.wasm
;;
;; secretpath_get_connection, id = one letter (the target) and an optional
;; decimal count N, as in host_loop.wat (no count: forever). Targets:
;;   e  env_get(0, 16 MiB, 0, 0): a 16 MiB name (never on the list)
;;   h  http_request with all four arguments the whole memory (16 MiB each)
;;   u  http_request("GET", "http://refused.invalid/", "", ""): a small
;;      request to a host that is never on the allow-list
;; Any other target traps (unreachable). An empty id: INVALID_ARGUMENT (2).
;; secretpath_get_variable: NOT_FOUND.
(module
  (import "secretpath_v1" "env_get" (func $env_get (param i32 i32 i32 i32) (result i32)))
  (import "secretpath_v1" "http_request" (func $http_request (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 256)
  (data (i32.const 0) "GET")                       ;; 3
  (data (i32.const 16) "http://refused.invalid/")  ;; 23

  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))

  (func $count (param $len i32) (result i32)
    (local $i i32)
    (local $n i32)
    (local.set $i (i32.const 1))
    (block $end
      (loop $digit
        (br_if $end (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
          (i32.sub (i32.load8_u (i32.add (i32.const 1024) (local.get $i))) (i32.const 48))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $digit)))
    (local.get $n))

  (func $once (param $t i32)
    (if (i32.eq (local.get $t) (i32.const 101)) ;; e
      (then (drop (call $env_get (i32.const 0) (i32.const 16777216) (i32.const 0) (i32.const 0))) (return)))
    (if (i32.eq (local.get $t) (i32.const 104)) ;; h
      (then
        (drop (call $http_request
          (i32.const 0) (i32.const 16777216) (i32.const 0) (i32.const 16777216)
          (i32.const 0) (i32.const 16777216) (i32.const 0) (i32.const 16777216)))
        (return)))
    (if (i32.eq (local.get $t) (i32.const 117)) ;; u
      (then
        (drop (call $http_request
          (i32.const 0) (i32.const 3) (i32.const 16) (i32.const 23)
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
        (return)))
    (unreachable))

  (func (export "secretpath_get_connection") (param $len i32) (result i32)
    (local $t i32)
    (local $n i32)
    (local $i i32)
    (if (i32.eqz (local.get $len)) (then (return (i32.const 2))))
    (local.set $t (i32.load8_u (i32.const 1024)))
    (local.set $n (call $count (local.get $len)))
    (block $done
      (loop $again
        (if (local.get $n) (then (br_if $done (i32.ge_u (local.get $i) (local.get $n)))))
        (call $once (local.get $t))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (i32.const 1))
)
