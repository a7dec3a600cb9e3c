;; table_grow.wat: a valid ABI v1 module whose secretpath_get_connection
;; grows a table declared with no maximum, 2^23 elements at a time, until
;; it has 2^25 elements (256 MiB of Go heap, 16 times the default memory
;; limit) or table.grow returns -1, then traps (unreachable).
;; secretpath_get_variable returns the table's size as its status (1 before
;; any growth: NOT_FOUND).
;; Built by: wat2wasm table_grow.wat -o table_grow.wasm
;;
;; wazero bounds table.grow only by the table's declared maximum, else by
;; 2^32-1 elements (32 GiB); WithMemoryLimitPages does not apply. Each grow
;; is one uninterruptible Go append (a copy of the whole table), so the
;; deadline is checked only between grows. Measured here: with a 300 ms
;; deadline this module's call ran 0.8 s and allocated 415 MiB; with a 1 s
;; deadline it reaches 2^25 elements and traps. (A guest that does not stop
;; itself: 2.8-14 s past a 0.3-10 s deadline and 1.4-3.1 GiB allocated.)
;; The host must not let a table outgrow a host limit (e.g. 1,000,000
;; elements across all tables). wazero has no option for it, so it needs a
;; pre-scan of the table section before compiling, then either refuse at
;; load a table with no maximum or one over the limit (naming the table),
;; or rewrite each table's maximum to min(declared max, limit) so that
;; table.grow returns -1 (this lookup then traps fast on unreachable). Mind
;; std Go guests: an empty Go 1.26 wasip1 c-shared module declares
;; "table[0] funcref initial=5354" with NO maximum, so refusing max-less
;; tables refuses every Go guest; capping the maximum does not. (wasm-ld,
;; for C and Rust, declares min = max unless --growable-table.) WARNING:
;; an undefended host allocates hundreds of MiB running this.
(module
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32)
    (block $stop
      (loop $grow
        (br_if $stop (i32.ge_u (table.size $t) (i32.const 0x2000000)))
        (br_if $grow (i32.ne (table.grow $t (ref.null func) (i32.const 0x800000)) (i32.const -1)))))
    (unreachable))
  (func (export "secretpath_get_variable") (param i32) (result i32)
    (table.size $t))
)
