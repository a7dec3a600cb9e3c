package wasmhost_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/wasmhost"
)

// structureBombs are modules whose structure would cost wazero's compiler
// (or every instance) time or memory out of proportion to their size. The
// sizes here pass each limit by a margin but stay cheap enough for the old
// host to compile (it accepted them all); TestWriteBombs writes the full
// sizes of issue 18 for measuring `secretpath wasm check`.
var structureBombs = []struct {
	name string
	wasm func() []byte
	want string
}{
	{"data segments", func() []byte { return wasmhost.DataBomb(200_001, 16) }, "200001 data segments; the limit is 200000"},
	{"data outside initial memory", func() []byte {
		return wasmhost.BombSpec{MemPages: 1, Data: []wasmhost.DataSeg{{Off: 65530, Data: make([]byte, 7)}}}.Bytes()
	}, "data segment 0 [65530, 65537) lies outside the memory's initial 1 pages"},
	{"data outside maximum memory", func() []byte {
		return wasmhost.BombSpec{MemPages: 1, MemMax: 2, Data: []wasmhost.DataSeg{{Off: 3 << 16, Data: []byte{1}}}}.Bytes()
	}, "lies outside the memory's maximum of 2 pages"},
	{"locals, module-wide", func() []byte { return wasmhost.LocalsBomb(11, 49_999) }, "its functions declare over 500000 locals together, the limit (at function 16"},
	{"nesting", func() []byte { return wasmhost.NestingBomb(8_000) }, "blocks nest over 2500 deep, the limit"},
	{"if/else chain", func() []byte { return wasmhost.Funcs(1, wasmhost.IfElseBody(3_000)) }, "blocks nest over 2500 deep, the limit"},
	{"br_table", func() []byte { return wasmhost.Funcs(1, wasmhost.BrTableBody(10, 5_000)) }, "a br_table has 5000 targets; the limit is 4096"},
	{"br_tables, module-wide", func() []byte { return wasmhost.Funcs(101, wasmhost.BrTableBody(10, 4_000)) }, "its br_tables have over 400000 targets together"},
	{"depth sum of a function", func() []byte { return wasmhost.Funcs(1, wasmhost.NopsAt(2_400, 5_000)) }, "has a nesting depth sum of 17760000; the limit is 16000000"},
	{"depth sum, module-wide", func() []byte { return wasmhost.Funcs(20, wasmhost.NopsAt(2_400, 3_000)) }, "nesting depth sums add up to over 256000000"},
	{"function body bytes", func() []byte { return wasmhost.Funcs(1, wasmhost.NopsAt(1, 300_000)) }, "is 300005 bytes; the limit is 262144"},
	{"functions", func() []byte { return wasmhost.Funcs(50_000, wasmhost.EmptyBody) }, "it defines 50006 functions; the limit is 50000"},
	{"element segments", func() []byte { return wasmhost.BombSpec{MemPages: 1, ElemSegs: 1_001, ElemItems: 1}.Bytes() }, "it has 1001 element segments; the limit is 1000"},
	{"element items", func() []byte { return wasmhost.BombSpec{MemPages: 1, ElemSegs: 3, ElemItems: 400_000}.Bytes() }, "its element segments initialise over 1000000 table elements, the limit"},
	{"globals", func() []byte { return wasmhost.GlobalsBomb(100_000) }, "it defines 100000 globals; the limit is 1000"},
}

// TestHostileStructure loads each structure bomb: the prescan refuses it
// before compiling, with an error naming the limit and the module.
func TestHostileStructure(t *testing.T) {
	h := newHost(t)
	for _, tt := range structureBombs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.Load(t.Context(), tt.wasm())
			require.Error(t, err, "the module was accepted")
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "module sha256:", "the error names the module")
			var ve *wasmhost.ValidationError
			assert.ErrorAs(t, err, &ve, "a structural refusal is a validation error (wasm check prints it)")
		})
	}
}

// TestDataMergeBounded loads a module of empty data segments 4 KiB apart,
// each gap one the merge used to fill with zeros whatever the total: the
// merge's output, and so what the host allocates for it, stays within a
// small multiple of the module's size.
func TestDataMergeBounded(t *testing.T) {
	h := newHost(t)
	wasm := wasmhost.DataBomb(20_000, 4096) // 160 KB; the old merge wrote 80 MB of zeros
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := h.Load(t.Context(), wasm)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	alloc := after.TotalAlloc - before.TotalAlloc
	// Compiling the six small functions and copying the module cost a few
	// MB; the unbounded merge allocated over 160 MB here.
	assert.Less(t, alloc, uint64(64*len(wasm)+16<<20), "Load allocated %d bytes for a %d-byte module", alloc, len(wasm))
	assert.Equal(t, len(wasm), m.Info().Size)
}

// TestWriteBombs builds the full-size structure bombs at the sizes they
// were reported at and writes them into $SECRETPATH_BOMB_DIR (a temporary
// directory without it), where CI measures `secretpath wasm check` on them.
func TestWriteBombs(t *testing.T) {
	dir := os.Getenv("SECRETPATH_BOMB_DIR") // CI measures `secretpath wasm check` on them
	if dir == "" {
		dir = t.TempDir()
	}
	// The shapes the hardening issue measured, at its sizes.
	for _, tt := range []struct {
		name     string
		b        []byte
		min, max int
	}{
		{"data_250k_4k.wasm", wasmhost.DataBomb(250_000, 4096), 2_000_000, 2_400_000},
		{"data_199k_4k.wasm", wasmhost.DataBomb(199_999, 4096), 1_600_000, 2_000_000},
		{"locals_10k_50k.wasm", wasmhost.LocalsBomb(10_000, 49_999), 70_000, 90_000},
		{"nesting_300k.wasm", wasmhost.NestingBomb(100_000), 290_000, 310_000},
		{"ifelse_300k.wasm", wasmhost.Funcs(1, wasmhost.IfElseBody(60_000)), 290_000, 400_000},
		{"globals_1m.wasm", wasmhost.GlobalsBomb(1_000_000), 4_000_000, 7_000_000},
		{"depthsum_limit.wasm", wasmhost.Funcs(19, wasmhost.NopsAt(2_400, 3_000)), 1, 1 << 30},
		{"brtables_limit.wasm", wasmhost.Funcs(97, wasmhost.BrTableBody(2_400, 4_096)), 1, 1 << 30},
	} {
		assert.True(t, tt.min <= len(tt.b) && len(tt.b) <= tt.max, "%s is %d bytes, want %d-%d", tt.name, len(tt.b), tt.min, tt.max)
		require.NoError(t, os.WriteFile(filepath.Join(dir, tt.name), tt.b, 0o644))
	}
}
