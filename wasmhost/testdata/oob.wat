;; oob.wat: a valid ABI v1 module that passes bad pointers to the
;; always-available host functions. One module, the connection id selects the
;; call: "<function>:<variant>". Built by: wat2wasm oob.wat -o oob.wasm
;;
;; <function>: kwargs_read  -> kwargs_read(P, L)   (buf, limit)
;;             result_set   -> result_set(P, L)
;;             error_set    -> error_set(P, L)
;;             log          -> log(1, P, L)
;; <variant> gives (P, L); S = the memory's current size in bytes (65536):
;;   ok        (512, 8)           in bounds (bytes "ok-value")   -> no violation
;;   edge0     (S, 0)             empty, at the very end         -> no violation
;;   end       (S, 1)             one byte past the end          -> violation
;;   straddle  (S-1, 2)           crosses the end                -> violation
;;   wrap      (0xFFFFFFF0, 32)   ptr+len wraps in 32 bits to 16 -> violation
;;   neglen    (0, -1)            len 0xFFFFFFFF                 -> violation
;;   far0      (0xFFFFFFF0, 0)    empty but ptr+len > S          -> violation
;;
;; After the host function returns (i.e. the host did NOT trap): for
;; result_set the lookup returns OK with whatever was set; for the others it
;; calls result_set("returned") and returns OK. So for every "violation"
;; variant the host must instead: trap the guest, fail the lookup with an error
;; naming the function (e.g. "result_set"), and discard the instance; the
;; lookup must never answer "returned". The bounds check comes before any
;; other check (e.g. result_set:neglen is an ABI violation, not
;; RESOURCE_EXHAUSTED). An id that is not "<function>:<variant>" with names
;; from the lists: INVALID_ARGUMENT(2). secretpath_get_variable: NOT_FOUND.
;;
;; (kwargs_read with neglen: the limit -1 is "nothing fits" if the host reads
;; the limit as signed and checks only what it writes; the README notes this
;; ambiguity in the ABI.)
(module
  (import "secretpath_v1" "kwargs_read" (func $kwargs_read (param i32 i32) (result i32)))
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (import "secretpath_v1" "error_set" (func $error_set (param i32 i32)))
  (import "secretpath_v1" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)

  (data (i32.const 0) "kwargs_read")   ;; 11
  (data (i32.const 16) "result_set")   ;; 10
  (data (i32.const 32) "error_set")    ;; 9
  (data (i32.const 48) "log")          ;; 3
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
    (local $fn i32)
    (local $fn_len i32)
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
    (if (call $eq (i32.const 1024) (local.get $k) (i32.const 0) (i32.const 11))
      (then
        (drop (call $kwargs_read (global.get $p) (global.get $l)))
        (call $result_set (i32.const 192) (i32.const 8))
        (return (i32.const 0))))
    (if (call $eq (i32.const 1024) (local.get $k) (i32.const 16) (i32.const 10))
      (then
        (call $result_set (global.get $p) (global.get $l))
        (return (i32.const 0))))
    (if (call $eq (i32.const 1024) (local.get $k) (i32.const 32) (i32.const 9))
      (then
        (call $error_set (global.get $p) (global.get $l))
        (call $result_set (i32.const 192) (i32.const 8))
        (return (i32.const 0))))
    (if (call $eq (i32.const 1024) (local.get $k) (i32.const 48) (i32.const 3))
      (then
        (call $log (i32.const 1) (global.get $p) (global.get $l))
        (call $result_set (i32.const 192) (i32.const 8))
        (return (i32.const 0))))
    (i32.const 2))
)
