;; loop.wat: a CPU loop for deadline / WithCloseOnContextDone benchmarks.
;; NOT an ABI v1 module. Built by build.sh: wat2wasm loop.wat -o loop.wasm
;;
;; exports:
;;   memory (1 page, unused)
;;   spin(n i32) -> i32   runs n iterations of acc = acc*31 + i (one loop
;;                        back-edge each) and returns acc, so the work cannot be
;;                        dropped. spin(0) returns 0 at once.
(module
  (memory (export "memory") 1)
  (func (export "spin") (param $n i32) (result i32)
    (local $i i32)
    (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
)
