package localfs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

// benchFiles writes a connections YAML file and a variables .env file with
// n entries each, and returns their paths.
func benchFiles(b *testing.B, n int) (conns, vars string) {
	b.Helper()
	dir := b.TempDir()
	var c, v strings.Builder
	for i := range n {
		if i%2 == 0 {
			fmt.Fprintf(&c, "conn_%d: postgres://user:p%%40ss@db%d.example.com:5432/app?sslmode=require\n", i, i)
		} else {
			fmt.Fprintf(&c, "conn_%d:\n  conn_type: postgres\n  host: db%d.example.com\n  login: user\n  password: secret\n  port: 5432\n  extra_dejson: {sslmode: require}\n", i, i)
		}
		fmt.Fprintf(&v, "var_%d=value number %d\n", i, i)
	}
	conns, vars = filepath.Join(dir, "conns.yaml"), filepath.Join(dir, "vars.env")
	if err := os.WriteFile(conns, []byte(c.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(vars, []byte(v.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return conns, vars
}

// BenchmarkLookup measures lookups after the first parse (the target in bench/README.md
// is 1 µs): with the default reload interval (ReloadInterval 0), no stat
// happens on the hot path. StatEveryLookup shows the cost of Airflow-like
// freshness: one os.Stat per lookup.
func BenchmarkLookup(b *testing.B) {
	ctx := context.Background()
	conns, vars := benchFiles(b, 1000)
	for _, bc := range []struct {
		name     string
		interval time.Duration
	}{
		{"DefaultInterval", 0},
		{"StatEveryLookup", StatEveryLookup},
	} {
		be, err := New(Options{ConnectionsFile: conns, VariablesFile: vars, ReloadInterval: bc.interval})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := be.Connection(ctx, connReq("conn_1")); err != nil { // first parse
			b.Fatal(err)
		}
		if _, err := be.Lookup(ctx, varReq("var_1")); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name+"/Connection", func(b *testing.B) {
			b.ReportAllocs()
			var c connection.Connection
			for b.Loop() {
				c, err = be.Connection(ctx, connReq("conn_501"))
			}
			if err != nil || c.Port != 5432 {
				b.Fatal(err, c)
			}
		})
		b.Run(bc.name+"/ConnectionValue", func(b *testing.B) {
			b.ReportAllocs()
			var v string
			for b.Loop() {
				v, err = be.Lookup(ctx, connReq("conn_500"))
			}
			if err != nil || v == "" {
				b.Fatal(err)
			}
		})
		b.Run(bc.name+"/Variable", func(b *testing.B) {
			b.ReportAllocs()
			var v string
			for b.Loop() {
				v, err = be.Lookup(ctx, varReq("var_500"))
			}
			if err != nil || v != "value number 500" {
				b.Fatal(err, v)
			}
		})
		b.Run(bc.name+"/VariableNotFound", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, err = be.Lookup(ctx, varReq("nope"))
			}
			if err == nil {
				b.Fatal("found")
			}
		})
		b.Run(bc.name+"/ConnectionParallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := be.Connection(ctx, connReq("conn_501")); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkStat is the cost of the change check: one os.Stat.
func BenchmarkStat(b *testing.B) {
	_, vars := benchFiles(b, 10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := os.Stat(vars); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse is the cost of a (re)load of a 1,000-entry file.
func BenchmarkParse(b *testing.B) {
	conns, vars := benchFiles(b, 1000)
	cdata, err := os.ReadFile(conns)
	if err != nil {
		b.Fatal(err)
	}
	vdata, err := os.ReadFile(vars)
	if err != nil {
		b.Fatal(err)
	}
	var js strings.Builder
	js.WriteString("{")
	for i := range 1000 {
		if i > 0 {
			js.WriteString(",\n")
		}
		fmt.Fprintf(&js, `"conn_%d": {"conn_type": "postgres", "host": "db%d", "login": "u", "password": "p", "port": 5432, "extra": {"sslmode": "require"}}`, i, i)
	}
	js.WriteString("}")
	for _, bc := range []struct {
		name string
		data []byte
		f    format
		kind resolver.Kind
	}{
		{"YAMLConnections", cdata, formatYAML, resolver.KindConnection},
		{"JSONConnections", []byte(js.String()), formatJSON, resolver.KindConnection},
		{"EnvVariables", vdata, formatEnv, resolver.KindVariable},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.data)))
			for b.Loop() {
				if _, _, err := parseKind(bc.data, bc.f, bc.kind, "f"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
