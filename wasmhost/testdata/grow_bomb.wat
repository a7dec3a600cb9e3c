;; grow_bomb.wat: a valid ABI v1 module that grows its memory.
;; Built by: wat2wasm grow_bomb.wat -o grow_bomb.wasm
;; Memory: 1 page initially, no declared maximum (so only the host's limit,
;; WithMemoryLimitPages, stops it: without one, wazero's limit is 65536 pages
;; = 4 GiB).
;;
;; secretpath_get_connection (any id): memory.grow(1) in a loop until it
;;   returns -1, then traps (unreachable). The host must: make memory.grow
;;   fail at the tenant's memory limit (default 256 pages = 16 MiB; the
;;   process must not allocate more); report the trap as an error naming the
;;   tenant and the module (the memory limit is worth naming too); discard
;;   the instance; keep the tenant working (the next lookup gets a fresh
;;   instance with 1 page).
;; secretpath_get_variable (id = decimal page count P, e.g. "300"): grows one
;;   page at a time until memory.size = P. If every grow succeeded:
;;   result_set(<the id>) and OK. If a grow returned -1: error_set("memory.grow
;;   returned -1 at pages=<memory.size>") and INTERNAL(5), no trap: the
;;   instance stays usable. An id that is not a decimal number:
;;   INVALID_ARGUMENT(2). With the default limit, "256" -> OK, "257" ->
;;   INTERNAL with "pages=256". (Memory never shrinks: "100" after "256" on
;;   the same instance is OK at once.)
(module
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (import "secretpath_v1" "error_set" (func $error_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "memory.grow returned -1 at pages=")  ;; 33

  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))

  (func (export "secretpath_get_connection") (param i32) (result i32)
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (unreachable))

  (func (export "secretpath_get_variable") (param $id_len i32) (result i32)
    (local $target i32)
    (local $i i32)
    (local $c i32)
    (local $w i32)
    (local $v i32)
    (local $digits i32)
    (if (i32.or (i32.eqz (local.get $id_len)) (i32.gt_u (local.get $id_len) (i32.const 9)))
      (then (return (i32.const 2))))
    (loop $digit
      (local.set $c (i32.sub (i32.load8_u (i32.add (i32.const 1024) (local.get $i))) (i32.const 48)))
      (if (i32.gt_u (local.get $c) (i32.const 9)) (then (return (i32.const 2))))
      (local.set $target (i32.add (i32.mul (local.get $target) (i32.const 10)) (local.get $c)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $digit (i32.lt_u (local.get $i) (local.get $id_len))))
    (block $done
      (loop $grow
        (br_if $done (i32.ge_u (memory.size) (local.get $target)))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1))
          (then
            ;; message: the prefix, then memory.size in decimal (at 33..)
            (local.set $v (memory.size))
            (local.set $digits (i32.const 1))
            (local.set $c (local.get $v))
            (block $counted
              (loop $count
                (br_if $counted (i32.lt_u (local.get $c) (i32.const 10)))
                (local.set $c (i32.div_u (local.get $c) (i32.const 10)))
                (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
                (br $count)))
            (local.set $w (i32.add (i32.const 33) (local.get $digits)))
            (loop $put
              (local.set $w (i32.sub (local.get $w) (i32.const 1)))
              (i32.store8 (local.get $w) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
              (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
              (br_if $put (i32.gt_u (local.get $w) (i32.const 33))))
            (call $error_set (i32.const 0) (i32.add (i32.const 33) (local.get $digits)))
            (return (i32.const 5))))
        (br $grow)))
    (call $result_set (i32.const 1024) (local.get $id_len))
    (i32.const 0))
)
