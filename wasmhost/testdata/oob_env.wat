;; oob_env.wat: like oob.wat (same id scheme "<target>:<variant>", same
;; variants, same expected behaviour: see oob.wat), for the env capability's
;; env_get. The module imports env_get, so the tenant must be granted "env"
;; or its creation is refused. Built by: wat2wasm oob_env.wat -o oob_env.wasm
;;
;; <target>: env_get.name -> env_get(P, L, 768, 64)          bad name
;;           env_get.buf  -> env_get("SECRETPATH_TEST_ENV", P, L)  bad buf/limit
;;
;; For env_get.buf the buffer is checked against the limit (P, L): a host
;; that checks only what it writes, when the variable is unset (-1) or does
;; not fit, would miss the violation; the README discusses this. Set
;; SECRETPATH_TEST_ENV (allow-listed) to a short value so that "ok" writes.
(module
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (import "secretpath_v1" "env_get" (func $env_get (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

  (data (i32.const 256) "env_get.name")         ;; 12
  (data (i32.const 288) "env_get.buf")          ;; 11
  (data (i32.const 640) "SECRETPATH_TEST_ENV")  ;; 19
  (data (i32.const 128) "ok")          ;; 2
  (data (i32.const 136) "edge0")       ;; 5
  (data (i32.const 144) "end")         ;; 3
  (data (i32.const 152) "straddle")    ;; 8
  (data (i32.const 168) "wrap")        ;; 4
  (data (i32.const 176) "neglen")      ;; 6
  (data (i32.const 184) "far0")        ;; 4
  (data (i32.const 192) "returned")    ;; 8
  (data (i32.const 512) "ok-value")    ;; 8

  (global $p (mut i32) (i32.const 0))
  (global $l (mut i32) (i32.const 0))

  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))

  ;; $eq: 1 when the bytes [a, a+alen) equal [b, b+blen).
  (func $eq (param $a i32) (param $alen i32) (param $b i32) (param $blen i32) (result i32)
    (local $i i32)
    (if (i32.ne (local.get $alen) (local.get $blen)) (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.eq (local.get $i) (local.get $alen)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $b) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; $variant sets $p/$l for the variant named [v, v+vlen). Returns 0 if unknown.
  (func $variant (param $v i32) (param $vlen i32) (result i32)
    (local $size i32)
    (local.set $size (i32.shl (memory.size) (i32.const 16)))
    (if (call $eq (local.get $v) (local.get $vlen) (i32.const 128) (i32.const 2))
      (then (global.set $p (i32.const 512)) (global.set $l (i32.const 8)) (return (i32.const 1))))
    (if (call $eq (local.get $v) (local.get $vlen) (i32.const 136) (i32.const 5))
      (then (global.set $p (local.get $size)) (global.set $l (i32.const 0)) (return (i32.const 1))))
    (if (call $eq (local.get $v) (local.get $vlen) (i32.const 144) (i32.const 3))
      (then (global.set $p (local.get $size)) (global.set $l (i32.const 1)) (return (i32.const 1))))
    (if (call $eq (local.get $v) (local.get $vlen) (i32.const 152) (i32.const 8))
      (then (global.set $p (i32.sub (local.get $size) (i32.const 1))) (global.set $l (i32.const 2))
            (return (i32.const 1))))
    (if (call $eq (local.get $v) (local.get $vlen) (i32.const 168) (i32.const 4))
      (then (global.set $p (i32.const 0xFFFFFFF0)) (global.set $l (i32.const 32)) (return (i32.const 1))))
    (if (call $eq (local.get $v) (local.get $vlen) (i32.const 176) (i32.const 6))
      (then (global.set $p (i32.const 0)) (global.set $l (i32.const -1)) (return (i32.const 1))))
    (if (call $eq (local.get $v) (local.get $vlen) (i32.const 184) (i32.const 4))
      (then (global.set $p (i32.const 0xFFFFFFF0)) (global.set $l (i32.const 0)) (return (i32.const 1))))
    (i32.const 0))

  (func (export "secretpath_get_connection") (param $id_len i32) (result i32)
    (local $k i32)
    (if (i32.gt_u (local.get $id_len) (i32.const 1024)) (then (return (i32.const 2))))
    ;; split at the first ':'
    (block $found
      (loop $scan
        (if (i32.ge_u (local.get $k) (local.get $id_len)) (then (return (i32.const 2))))
        (br_if $found (i32.eq (i32.load8_u (i32.add (i32.const 1024) (local.get $k))) (i32.const 58)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $scan)))
    (if (i32.eqz (call $variant (i32.add (i32.const 1025) (local.get $k))
                                (i32.sub (i32.sub (local.get $id_len) (local.get $k)) (i32.const 1))))
      (then (return (i32.const 2))))
    (if (call $eq (i32.const 1024) (local.get $k) (i32.const 256) (i32.const 12))
      (then
        (drop (call $env_get (global.get $p) (global.get $l) (i32.const 768) (i32.const 64)))
        (call $result_set (i32.const 192) (i32.const 8))
        (return (i32.const 0))))
    (if (call $eq (i32.const 1024) (local.get $k) (i32.const 288) (i32.const 11))
      (then
        (drop (call $env_get (i32.const 640) (i32.const 19) (global.get $p) (global.get $l)))
        (call $result_set (i32.const 192) (i32.const 8))
        (return (i32.const 0))))
    (i32.const 2))
)
