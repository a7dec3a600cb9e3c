package abitest_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/abitest"
	"github.com/secretpath/secretpath/wasmhost"
)

// TestGuestsFitModuleLimits measures every example guest, in every SDK
// language, and checks that the host's structural limits leave at least 4x
// headroom over each quantity (wasmhost.DefaultModuleLimits; the table in
// wasmhost/binary.go): a toolchain upgrade that grows a guest towards a
// limit fails here before a user meets the refusal.
func TestGuestsFitModuleLimits(t *testing.T) {
	const headroom = 4
	lim := wasmhost.DefaultModuleLimits()
	builds := map[string]func(testing.TB, string) string{
		"go": abitest.BuildGoExample, "c": abitest.BuildCExample,
		"rust": abitest.BuildRustExample, "assemblyscript": abitest.BuildASExample,
	}
	for lang, build := range builds {
		for _, name := range []string{"jsondoc", "httpsecrets"} {
			t.Run(lang+"/"+name, func(t *testing.T) {
				b, err := os.ReadFile(build(t, name))
				require.NoError(t, err)
				s, err := wasmhost.MeasureStructure(b)
				require.NoError(t, err)
				t.Logf("%+v", s)
				check := func(what string, have, limit uint64) {
					assert.LessOrEqual(t, have*headroom, limit, "%s: %d measured, limit %d: less than %dx headroom", what, have, limit, headroom)
				}
				check("functions", uint64(s.Functions), uint64(lim.Functions))
				check("locals", s.Locals, lim.Locals)
				check("locals of one function", s.MaxLocals, lim.LocalsPerFunction)
				check("function body bytes", uint64(s.MaxBodyBytes), uint64(lim.BodyBytes))
				check("nesting depth", uint64(s.Depth), uint64(lim.Depth))
				check("depth sum of one function", s.MaxDepthSum, lim.FunctionDepthSum)
				check("depth sum", s.DepthSum, lim.DepthSum)
				check("br_table targets", uint64(s.BrTable), uint64(lim.BrTable))
				check("br_table targets, all", s.BrTargets, lim.BrTargets)
				check("globals", uint64(s.Globals), uint64(lim.Globals))
				check("data segments", uint64(s.DataSegments), uint64(lim.DataSegments))
				check("element segments", uint64(s.ElemSegments), uint64(lim.ElemSegments))
				check("element segment items", s.ElemItems, lim.ElemItems)
				check("table elements", s.TableElements, wasmhost.MaxTableElements)
			})
		}
	}
}
