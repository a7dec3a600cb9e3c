package localfs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/secretpath/secretpath/resolver"
)

func big100kJSON() []byte {
	var b strings.Builder
	b.WriteString("{")
	for i := range 100_000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `"conn_%06d": "postgres://user%d:pass-%d@host%d.example.com:5432/db%d?sslmode=require"`, i, i, i, i, i)
	}
	b.WriteString("}")
	return []byte(b.String())
}

func big100kEnv() []byte {
	var b strings.Builder
	for i := range 100_000 {
		fmt.Fprintf(&b, "conn_%06d=postgres://user%d:pass-%d@host%d.example.com:5432/db%d?sslmode=require\n", i, i, i, i, i)
	}
	return []byte(b.String())
}

func BenchmarkParse100k(b *testing.B) {
	for _, bc := range []struct {
		name string
		data []byte
		f    format
	}{{"JSON", big100kJSON(), formatJSON}, {"Env", big100kEnv(), formatEnv}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.data)))
			for b.Loop() {
				if _, _, err := parseKind(bc.data, bc.f, resolver.KindConnection, "f"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
