;; loop_buffer.wat: a valid ABI v1 module whose secretpath_buffer never
;; returns. Built by: wat2wasm loop_buffer.wat -o loop_buffer.wasm
;;
;; The host must: fail the tenant's creation after the wall-time limit
;; (default 1 s) with an error naming secretpath_buffer and the time limit;
;; never hang. (The host calls secretpath_buffer and secretpath_buffer_size
;; itself, so they need the deadline too: a host that treats them as
;; trivial getters and calls them without one hangs here forever.)
(module
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32)
    (loop $forever (br $forever))
    (unreachable))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
