package fuel_test

import (
	"context"
	"errors"
	"testing"

	"github.com/secretpath/secretpath/wasmhost/internal/fuel"
)

// featureModules each export run() -> i64 exercising one group of
// proposals, so that the differential test compares a result.
var featureModules = map[string]string{
	"simd": `(module (memory 1)
	  (func (export "run") (result i64) (local $v v128) (local $i i32)
	    (local.set $v (v128.const i32x4 1 2 3 4))
	    (loop $l
	      (local.set $v (i32x4.add (local.get $v)
	        (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))))
	      (v128.store offset=16 align=4 (i32.const 0) (local.get $v))
	      (local.set $v (v128.load32_lane 1 (i32.const 16) (local.get $v)))
	      (v128.store64_lane 0 (i32.const 40) (local.get $v))
	      (local.set $v (i32x4.replace_lane 3 (local.get $v) (i32.const 5)))
	      (local.set $v (v128.or (local.get $v) (v128.load8_splat (i32.const 17))))
	      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 100))))
	    (i64.add (i64x2.extract_lane 0 (local.get $v))
	      (i64.add (i64.load (i32.const 40)) (i64.extend_i32_u (i8x16.extract_lane_u 9 (local.get $v)))))))`,

	"tailcall": `(module
	  (type $t (func (param i64 i64) (result i64)))
	  (table 2 funcref) (elem (i32.const 0) $sum $sumi)
	  (func $sum (type $t)
	    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
	      (else (return_call $sumi (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (local.get 0))))))
	  (func $sumi (type $t)
	    (return_call_indirect (type $t) (local.get 0) (local.get 1) (i32.const 0)))
	  (func (export "run") (result i64) (call $sum (i64.const 100000) (i64.const 0))))`,

	"bulk_reftypes": `(module (memory 1)
	  (type $f (func (result i64)))
	  (table $t0 4 funcref) (table $t1 8 funcref) (table $ext 2 externref)
	  (data $d "0123456789abcdef")
	  (elem $p funcref (ref.func $a) (ref.null func) (ref.func $b))
	  (elem $q func $a $b)
	  (elem declare func $c)
	  (elem (table $t1) (i32.const 4) funcref (ref.func $c) (item ref.func $a))
	  (elem (i32.const 0) $a $b)
	  (global $g (mut funcref) (ref.func $c))
	  (func $a (result i64) (i64.const 1))
	  (func $b (result i64) (i64.const 20))
	  (func $c (result i64) (i64.const 300))
	  (func (export "run") (result i64) (local $r i64)
	    (memory.init $d (i32.const 100) (i32.const 2) (i32.const 10))
	    (data.drop $d)
	    (memory.copy (i32.const 200) (i32.const 100) (i32.const 10))
	    (memory.fill (i32.const 300) (i32.const 65) (i32.const 1000))
	    (table.init $t1 $p (i32.const 0) (i32.const 0) (i32.const 3))
	    (elem.drop $p)
	    (table.copy $t0 $t1 (i32.const 2) (i32.const 4) (i32.const 2))
	    (drop (table.grow $t1 (ref.func $b) (i32.const 3)))
	    (table.fill $t1 (i32.const 8) (ref.func $a) (i32.const 3))
	    (table.set $t0 (i32.const 3) (global.get $g))
	    (local.set $r (i64.extend_i32_u (i32.add (table.size $t1) (i32.load (i32.const 200)))))
	    (local.set $r (i64.add (local.get $r) (call_indirect $t1 (type $f) (i32.const 10))))
	    (local.set $r (i64.add (local.get $r) (call_indirect $t0 (type $f) (i32.const 3))))
	    (local.set $r (i64.add (local.get $r) (call_indirect $t0 (type $f) (i32.const 2))))
	    (local.set $r (i64.add (local.get $r) (call_indirect $t1 (type $f) (i32.const 2))))
	    (local.set $r (i64.add (local.get $r)
	      (select (result i64) (i64.const 7) (i64.const 9) (ref.is_null (table.get $t1 (i32.const 1))))))
	    (table.set $ext (i32.const 0) (ref.null extern))
	    (local.set $r (i64.add (local.get $r) (i64.extend_i32_u (ref.is_null (table.get $ext (i32.const 0))))))
	    (i64.add (local.get $r) (i64.load8_u (i32.const 1299)))))`,

	"multivalue_numeric": `(module (memory 1 2)
	  (type $pair (func (param i32 i32) (result i32 i32)))
	  (func $swap (type $pair) (local.get 1) (local.get 0))
	  (func (export "run") (result i64) (local $i i32)
	    (i32.const 3) (i32.const 10)
	    (loop $l (type $pair)
	      (call $swap)
	      (i32.add (i32.const 1))
	      (local.tee $i (i32.add (local.get $i) (i32.const 1)))
	      (br_if $l (i32.lt_u (i32.const 50))))
	    (block (type $pair))
	    i32.add
	    (i64.extend_i32_s)
	    (i64.add (i64.extend8_s (i64.const 0x80)))
	    (i64.add (i64.trunc_sat_f64_s (f64.const 1e30)))
	    (i64.add (i64.extend_i32_u (memory.grow (i32.const 1))))
	    (i64.add (i64.extend_i32_u (memory.grow (i32.const 5))))
	    (i64.add (i64.reinterpret_f64 (f64.add (f64.const 1.5) (f64.convert_i32_s (memory.size)))))
	    (i64.add (i64.extend_i32_u (i32.reinterpret_f32 (f32.const -0.5))))
	    (br_table 0 0 (i32.const 1))))`,
}

// TestFeatureModules: every proposal group instruments, compiles and
// computes the same result metered and unmetered.
func TestFeatureModules(t *testing.T) {
	for name, src := range featureModules {
		t.Run(name, func(t *testing.T) {
			wasm := wat(t, src)
			out, err := fuel.Instrument(wasm, fuel.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if err := compiles(t, out); err != nil {
				t.Fatal(err)
			}
			differential(t, wasm, out)
		})
	}
}

func TestDeclined(t *testing.T) {
	for name, c := range map[string]struct{ src, flag string }{
		"atomics":    {`(module (memory 1 1 shared) (func (result i32) (i32.atomic.load (i32.const 0))))`, "--enable-threads"},
		"exceptions": {`(module (tag $e) (func (throw $e)))`, "--enable-exceptions"},
		"memory64":   {`(module (memory i64 1))`, "--enable-memory64"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := fuel.Instrument(wat(t, c.src, c.flag), fuel.Config{})
			if !errors.Is(err, fuel.ErrUnsupported) {
				t.Fatalf("err = %v, want ErrUnsupported", err)
			}
		})
	}
}

// TestNamesRenumbered: the name section still names the right functions.
func TestNamesRenumbered(t *testing.T) {
	wasm := wat(t, `(module (import "m" "f" (func $imp))
	  (func $first (export "e1") (call $second)) (func $second (export "e2")))`)
	ctx := context.Background()
	rt := newRuntime(t, ctx, false)
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, mustInstrument(t, wasm))
	if err != nil {
		t.Fatal(err)
	}
	for export, want := range map[string]string{"e1": "first", "e2": "second"} {
		if got := cm.ExportedFunctions()[export].Name(); got != want {
			t.Errorf("export %s is named %q, want %q", export, got, want)
		}
	}
}
