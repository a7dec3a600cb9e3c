package bench

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Close()
	os.Exit(code)
}

// TestSameWork checks that every lookup path of the benchmarks answers the
// same URI for the same id (each Setup also checks it), so that the rows
// compare the same work.
func TestSameWork(t *testing.T) {
	for _, c := range Cases {
		if testing.Short() && (c.Name == "Extism" || c.Name == "ExtismTimeout" || c.Name == "InstantiateExtism") {
			continue
		}
		if c.Setup == nil {
			continue
		}
		if err := c.Setup(); err != nil {
			switch {
			case errors.Is(err, ErrNotBuilt), errors.Is(err, errNoRow):
				t.Logf("%s: %v", c.Name, err)
			case errors.Is(err, ErrToolchainMissing) && os.Getenv("SECRETPATH_REQUIRE_ALL") != "1":
				t.Logf("%s: skipped: %v", c.Name, err)
			default:
				t.Errorf("%s: %v", c.Name, err)
			}
		}
	}
}

func run(b *testing.B, name string) {
	c, ok := CaseByName(name)
	if !ok {
		b.Fatalf("no case %q", name)
	}
	c.F(b)
}

func BenchmarkFloor(b *testing.B)         { run(b, "Floor") }
func BenchmarkFloorDeadline(b *testing.B) { run(b, "FloorDeadline") }

func BenchmarkABIFloor(b *testing.B)         { run(b, "ABIFloor") }
func BenchmarkABIFloorDeadline(b *testing.B) { run(b, "ABIFloorDeadline") }

func BenchmarkOurs(b *testing.B) {
	b.Run("untrusted", func(b *testing.B) { run(b, "Ours/untrusted") })
	b.Run("trusted", func(b *testing.B) { run(b, "Ours/trusted") })
}

func BenchmarkOursBuf(b *testing.B) {
	b.Run("untrusted", func(b *testing.B) { run(b, "OursBuf/untrusted") })
	b.Run("trusted", func(b *testing.B) { run(b, "OursBuf/trusted") })
	b.Run("deadline", func(b *testing.B) { run(b, "OursBuf/deadline") })
}

func BenchmarkResolver(b *testing.B) {
	b.Run("untrusted", func(b *testing.B) { run(b, "Resolver/untrusted") })
	b.Run("trusted", func(b *testing.B) { run(b, "Resolver/trusted") })
}

func BenchmarkOursGo(b *testing.B) {
	b.Run("untrusted", func(b *testing.B) { run(b, "OursGo/untrusted") })
	b.Run("trusted", func(b *testing.B) { run(b, "OursGo/trusted") })
}

func BenchmarkExtism(b *testing.B)        { run(b, "Extism") }
func BenchmarkExtismTimeout(b *testing.B) { run(b, "ExtismTimeout") }

func BenchmarkInstantiateTenant(b *testing.B) {
	b.Run("bench_guest", func(b *testing.B) { run(b, "InstantiateTenant/bench_guest") })
	b.Run("jsondoc", func(b *testing.B) { run(b, "InstantiateTenant/jsondoc") })
}

func BenchmarkInstantiateExtism(b *testing.B) { run(b, "InstantiateExtism") }

func BenchmarkIdleTenant(b *testing.B) {
	b.Run("bench_guest", func(b *testing.B) { run(b, "IdleTenant/bench_guest") })
	b.Run("jsondoc", func(b *testing.B) { run(b, "IdleTenant/jsondoc") })
}

// BenchmarkOursLang runs the jsondoc rows of the C, Rust and AssemblyScript
// guests (langs.go); a row whose toolchain is missing is skipped.
func BenchmarkOursLang(b *testing.B) {
	for _, c := range Cases {
		if c.Name == "" || !isLangCase(c.Name) {
			continue
		}
		b.Run(c.Name, func(b *testing.B) {
			if err := c.Setup(); errors.Is(err, ErrToolchainMissing) && os.Getenv("SECRETPATH_REQUIRE_ALL") != "1" {
				b.Skip(err)
			}
			c.F(b)
		})
	}
}

func BenchmarkWaPC(b *testing.B)            { run(b, "WaPC") }
func BenchmarkInstantiateWaPC(b *testing.B) { run(b, "InstantiateWaPC") }

// The other groups, one sub-benchmark per row (named as in cmd/bench).
func BenchmarkCore(b *testing.B)         { runGroup(b, GroupCore) }
func BenchmarkMetastore(b *testing.B)    { runGroup(b, GroupMetastore) }
func BenchmarkRemote(b *testing.B)       { runGroup(b, GroupRemote) }
func BenchmarkConcurrency(b *testing.B)  { runGroup(b, GroupConcurrency) }
func BenchmarkSingleflight(b *testing.B) { runGroup(b, GroupSingleflight) }
func BenchmarkTenancy(b *testing.B)      { runGroup(b, GroupTenancy) }
func BenchmarkCLI(b *testing.B)          { runGroup(b, GroupCLI) }

// runGroup runs every row of group; planned rows not built in this tree
// are left out, and a row whose guest toolchain is missing is skipped.
func runGroup(b *testing.B, group string) {
	for _, c := range Cases {
		if c.Group != group {
			continue
		}
		if c.Setup != nil {
			err := c.Setup()
			switch {
			case errors.Is(err, ErrNotBuilt), errors.Is(err, errNoRow):
				continue
			case errors.Is(err, ErrToolchainMissing) && os.Getenv("SECRETPATH_REQUIRE_ALL") != "1":
				b.Run(c.Name, func(b *testing.B) { b.Skip(err) })
				continue
			case err != nil:
				b.Fatalf("%s: %v", c.Name, err)
			}
		}
		b.Run(c.Name, c.F)
	}
}

func isLangCase(name string) bool {
	for _, g := range langGuests {
		if strings.HasPrefix(name, "Ours"+g.lang+"/") || strings.HasSuffix(name, "/jsondoc-"+g.dir) {
			return true
		}
	}
	return false
}
