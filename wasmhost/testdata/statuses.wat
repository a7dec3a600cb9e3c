;; statuses.wat: a valid ABI v1 module that returns the status its id names,
;; for table-driven tests of the host's status mapping.
;; Built by: wat2wasm statuses.wat -o statuses.wasm
;;
;; Every lookup (connection, variable, config), id = a decimal integer S
;; with an optional leading '-' (e.g. "0", "4", "99", "-1"; at most 9
;; digits): calls error_set("guest status <id>"), then, if S = 0,
;; result_set(V), and returns S. V is "postgres://u:p@db.example.com:5432/x"
;; for connections, "variable-value" for variables, "config-value" for configs.
;; An id that is not such a number: INVALID_ARGUMENT(2) with no message.
;;
;; Expected host mapping (ABI.md §4): 0 -> the value (the error_set message
;; is ignored); 1 -> not found; 2 INVALID_ARGUMENT, 3 UNAVAILABLE,
;; 5 INTERNAL -> errors carrying "guest status <id>"; 4 ->
;; resolver.ErrPermissionDenied; 6 UNIMPLEMENTED -> not found; 7 (reserved for
;; the host) -> see README; 8, 99, -1, 2147483647 -> INTERNAL.
(module
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (import "secretpath_v1" "error_set" (func $error_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "postgres://u:p@db.example.com:5432/x")  ;; 36
  (data (i32.const 64) "variable-value")                        ;; 14
  (data (i32.const 96) "config-value")                          ;; 12
  (data (i32.const 128) "guest status ")                        ;; 13
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 2048))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))

  (func $answer (param $id_len i32) (param $vptr i32) (param $vlen i32) (result i32)
    (local $i i32)
    (local $neg i32)
    (local $c i32)
    (local $s i32)
    (if (i32.eqz (local.get $id_len)) (then (return (i32.const 2))))
    (if (i32.eq (i32.load8_u (i32.const 2048)) (i32.const 45)) ;; '-'
      (then (local.set $neg (i32.const 1)) (local.set $i (i32.const 1))))
    (if (i32.or (i32.ge_u (local.get $i) (local.get $id_len))
                (i32.gt_u (i32.sub (local.get $id_len) (local.get $i)) (i32.const 9)))
      (then (return (i32.const 2))))
    (loop $digit
      (local.set $c (i32.sub (i32.load8_u (i32.add (i32.const 2048) (local.get $i))) (i32.const 48)))
      (if (i32.gt_u (local.get $c) (i32.const 9)) (then (return (i32.const 2))))
      (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 10)) (local.get $c)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $digit (i32.lt_u (local.get $i) (local.get $id_len))))
    (if (local.get $neg) (then (local.set $s (i32.sub (i32.const 0) (local.get $s)))))
    ;; "guest status <id>" at 128: the id follows the 13-byte prefix
    (memory.copy (i32.const 141) (i32.const 2048) (local.get $id_len))
    (call $error_set (i32.const 128) (i32.add (i32.const 13) (local.get $id_len)))
    (if (i32.eqz (local.get $s))
      (then (call $result_set (local.get $vptr) (local.get $vlen))))
    (local.get $s))

  (func (export "secretpath_get_connection") (param $id_len i32) (result i32)
    (call $answer (local.get $id_len) (i32.const 0) (i32.const 36)))
  (func (export "secretpath_get_variable") (param $id_len i32) (result i32)
    (call $answer (local.get $id_len) (i32.const 64) (i32.const 14)))
  (func (export "secretpath_get_config") (param $id_len i32) (result i32)
    (call $answer (local.get $id_len) (i32.const 96) (i32.const 12)))
)
