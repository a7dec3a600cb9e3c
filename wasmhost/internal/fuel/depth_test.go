package fuel_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero/api"

	"github.com/secretpath/secretpath/wasmhost/internal/fuel"
)

// TestCallDepthCounter: with MaxCallDepth, every exit path gives the
// frame's weight back (fall-through, return, br to the body's label,
// br_table, br_if, tail call) and a recursion past the limit traps with
// the depth global above the limit.
func TestCallDepthCounter(t *testing.T) {
	wasm := wat(t, `(module
	  (func $rec (export "rec") (param $n i32) (result i32)
	    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
	    (i32.add (call $rec (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))
	  (global $g (mut i32) (i32.const 0))
	  (func (export "exits") (param $k i32) (result i32)
	    (global.set $g (i32.const 40))
	    (call $void (local.get $k))
	    (global.get $g))
	  (func $void (param $k i32)
	    (block $a
	      (global.set $g (i32.const 10))
	      (br_if 1 (i32.eq (local.get $k) (i32.const 1)))
	      (global.set $g (i32.const 40))
	      (block $b
	        (br_table $a $b 2 (i32.sub (local.get $k) (i32.const 2)))))
	    (if (i32.eq (local.get $k) (i32.const 3)) (then (global.set $g (i32.const 30)) (return)))
	    (global.set $g (i32.const 41)))
	  (func $tail (export "tail") (param $n i32) (result i32)
	    (if (i32.eqz (local.get $n)) (then (return (i32.const 7))))
	    (return_call $tail (i32.sub (local.get $n) (i32.const 1))))
	  (func (export "wide") (param $n i32) (result i32)
	    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
	    (call $rec (local.get $n))))`)
	const limit = 100
	metered, err := fuel.Instrument(wasm, fuel.Config{MaxCallDepth: limit, InitialFuel: 1 << 40})
	require.NoError(t, err)
	ctx := context.Background()
	rt := newRuntime(t, ctx, false)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, metered)
	require.NoError(t, err)
	depth := mod.ExportedGlobal(fuel.DefaultDepthExport).(api.MutableGlobal)
	call := func(fn string, arg uint64) (uint64, error) {
		depth.Set(0)
		res, err := mod.ExportedFunction(fn).Call(ctx, arg)
		if err != nil {
			return 0, err
		}
		return res[0], nil
	}
	for _, tt := range []struct {
		fn       string
		arg, res uint64
	}{
		{"rec", 0, 0}, {"rec", 50, 50}, {"rec", 99, 99},
		{"exits", 0, 40}, {"exits", 1, 10}, {"exits", 2, 41}, {"exits", 3, 30}, {"exits", 4, 40},
		{"tail", 1000, 7}, // tail calls do not stack up
		{"wide", 10, 10},  // 16 locals: weight 3, then 10 frames of weight 1
	} {
		res, err := call(tt.fn, tt.arg)
		require.NoError(t, err, "%s(%d)", tt.fn, tt.arg)
		assert.Equal(t, tt.res, res, "%s(%d)", tt.fn, tt.arg)
		assert.Zero(t, uint32(depth.Get()), "%s(%d) gave every frame back", tt.fn, tt.arg)
	}
	// rec(n) takes n+1 frames of weight 1: 101 is past the limit.
	_, err = call("rec", limit)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unreachable")
	assert.Greater(t, uint32(depth.Get()), uint32(limit), "the global tells the host why")
	// wide(n) costs 3 + n + 1: 97 passes, 98 does not.
	_, err = call("wide", 96)
	require.NoError(t, err)
	_, err = call("wide", 97)
	require.Error(t, err)
}
