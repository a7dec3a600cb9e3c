;; cap_env.wat: a valid ABI v1 module using the env capability: it imports
;; secretpath_v1.env_get. Built by: wat2wasm cap_env.wat -o cap_env.wasm
;;
;; Creating a tenant not granted "env" must fail (ABI.md §5): "tenant "t":
;; module imports secretpath_v1.env_get but the tenant is not granted "env"".
;; Granted: secretpath_get_connection and secretpath_get_variable look up the
;; environment variable named by the id: env_get(id, 65536, 0) for the length
;; (limit 0: nothing written), grow memory, env_get(id, 65536, len), then
;; result_set(value) and OK; -1 (unset or not allow-listed) -> NOT_FOUND.
;; If memory cannot grow: INTERNAL(5). An empty value is a value (OK, "").
(module
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (import "secretpath_v1" "env_get" (func $env_get (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  ;; $ensure makes memory at least $end_addr bytes long; 0 when memory.grow fails.
  (func $ensure (param $end_addr i32) (result i32)
    (local $need i32)
    (local.set $need
      (i32.add (i32.shr_u (local.get $end_addr) (i32.const 16))
               (i32.ne (i32.and (local.get $end_addr) (i32.const 0xFFFF)) (i32.const 0))))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.const 1))
  (func $lookup (param $id_len i32) (result i32)
    (local $n i32)
    (local.set $n (call $env_get (i32.const 1024) (local.get $id_len) (i32.const 65536) (i32.const 0)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 1))))
    (if (i32.or (i32.gt_u (local.get $n) (i32.const 0x7FFF0000))
                (i32.eqz (call $ensure (i32.add (i32.const 65536) (local.get $n)))))
      (then (return (i32.const 5))))
    (if (i32.ne (call $env_get (i32.const 1024) (local.get $id_len) (i32.const 65536) (local.get $n))
                (local.get $n))
      (then (return (i32.const 5))))
    (call $result_set (i32.const 65536) (local.get $n))
    (i32.const 0))
  (func (export "secretpath_get_connection") (param $id_len i32) (result i32)
    (call $lookup (local.get $id_len)))
  (func (export "secretpath_get_variable") (param $id_len i32) (result i32)
    (call $lookup (local.get $id_len)))
)
