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

// benchURIs are typical URIs for BenchmarkParseURIShapes: the bench
// harness's, escapes, extras, an upper-case host and one the fast path
// leaves to the general code.
var benchURIs = []struct{ name, uri string }{
	{"plain", "postgres://user:password@db.example.com:5432/analytics"},
	{"harness", "postgres://user:password@db.example.com:5432/analytics?x=123"},
	{"escapes", "postgres://us%40er:p%2Fss%3Aw%C3%B6rd@db.example.com:5432/my%20db"},
	{"extras", "google-cloud-platform://?project=p&num_retries=5&scope=read&verify=true&empty="},
	{"upper", "HTTP://Login:Pass@API.Example.COM:8443/v1?timeout=30"},
	{"general", "spark://k8s://api.example.com:443/?deploy-mode=cluster"},
}

// BenchmarkParseURIShapes compares ParseURI with the oracle (the
// implementation before the fast path) on each shape, in one run.
func BenchmarkParseURIShapes(b *testing.B) {
	for _, tc := range benchURIs {
		for _, impl := range []struct {
			name  string
			parse func(string, string) (Connection, error)
		}{{"new", ParseURI}, {"oracle", oracleParseURI}} {
			b.Run(tc.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(tc.uri)))
				for b.Loop() {
					if _, err := impl.parse("bench_db", tc.uri); err != nil {
						b.Fatal(err)
					}
				}
			})
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
