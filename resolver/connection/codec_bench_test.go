package connection

import "testing"

const benchURI = "postgres://user:pass@host:5432/db?sslmode=require"

func BenchmarkParseURI(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseURI("bench_db", benchURI); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkURI(b *testing.B) {
	c, err := ParseURI("bench_db", benchURI)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if c.URI() != benchURI {
			b.Fatal("round trip changed the URI")
		}
	}
}

func BenchmarkParseJSON(b *testing.B) {
	const value = `{"conn_type": "postgres", "host": "host", "login": "user", "password": "pass", "port": 5432, "schema": "db", "extra": {"sslmode": "require"}}`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseJSON("bench_db", value); err != nil {
			b.Fatal(err)
		}
	}
}
