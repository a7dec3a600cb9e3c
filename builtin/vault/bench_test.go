package vault_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/secretpath/secretpath/builtin/location"
	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/internal/vaultfake"
)

// The benchmarks compare a lookup through the backend with the direct API
// call a Go program would make on the same server,
// client.Logical().ReadWithContext plus taking the value out, alternating
// the two in one loop so that both see the same machine load. They use the
// real dev server when SECRETPATH_VAULT_REAL names it, else the fake.
//
//	go test -run '^$' -bench . -benchmem ./builtin/vault/
const (
	benchURI   = "smtps://user:s3cret@relay.example.com:465/mail?timeout=30"
	benchValue = "eu-west-1"
)

// benchServer returns an address, a token and the KV v2 mount holding
// connections/smtp_default and variables/region.
func benchServer(b *testing.B) (addr, token, mount string) {
	b.Helper()
	if os.Getenv(RealEnv) != "" {
		v := realVault(b)
		ns := randomName("bench-")
		v.put(b, 2, ns+"/connections/smtp_default", map[string]any{"conn_uri": benchURI})
		v.put(b, 2, ns+"/variables/region", map[string]any{"value": benchValue})
		b.Logf("real Vault at %s", v.Addr)
		return v.Addr, v.RootToken, v.KV2Mount + "/data/" + ns
	}
	f := newFake(b)
	f.Put("secret", "connections/smtp_default", map[string]any{"conn_uri": benchURI})
	f.Put("secret", "variables/region", map[string]any{"value": benchValue})
	b.Logf("fake Vault (set %s for the real one)", RealEnv)
	return f.URL, f.root, "secret/data"
}

func BenchmarkVariable(b *testing.B) {
	addr, token, mount := benchServer(b)
	benchPair(b, newConfig(addr, nil), token, mount, "variables/region", false)
}

func BenchmarkConnection(b *testing.B) {
	addr, token, mount := benchServer(b)
	benchPair(b, newConfig(addr, nil), token, mount, "connections/smtp_default", true)
}

// BenchmarkVariableInMemory: the HTTP exchange replaced by canned
// responses, so that the comparison isolates the CPU the backend adds to
// the API client's own work (the strictest measure).
func BenchmarkVariableInMemory(b *testing.B) {
	vaultfake.Isolate(b)
	benchPair(b, newConfig("http://127.0.0.1:1", cannedTransport{}), "canned-token", "secret/data", "variables/region", false)
}

func BenchmarkConnectionInMemory(b *testing.B) {
	vaultfake.Isolate(b)
	benchPair(b, newConfig("http://127.0.0.1:1", cannedTransport{}), "canned-token", "secret/data", "connections/smtp_default", true)
}

func newConfig(addr string, rt http.RoundTripper) func() *api.Config {
	return func() *api.Config {
		cfg := api.DefaultConfig()
		cfg.Address = addr
		if rt != nil {
			cfg.HttpClient = &http.Client{Transport: rt}
		}
		return cfg
	}
}

// benchPair times backend lookups and direct reads of mountData/rel
// (mountData is "<mount>/data" or "<mount>/data/<prefix>").
func benchPair(b *testing.B, cfg func() *api.Config, token, mountData, rel string, conn bool) {
	mount, prefix, _ := strings.Cut(mountData, "/data")
	prefix = strings.TrimPrefix(prefix, "/")
	kind := location.Location{Prefix: strings.TrimSuffix(prefix+"/"+rel[:strings.IndexByte(rel, '/')], "/")}
	if prefix == "" {
		kind = location.Location{Prefix: rel[:strings.IndexByte(rel, '/')]}
	}
	id := rel[strings.IndexByte(rel, '/')+1:]
	o := vault.Options{Config: cfg(), MountPoint: mount, Auth: vault.Auth{Token: token}}
	if conn {
		o.Connections = kind
	} else {
		o.Variables = kind
	}
	backend, err := vault.New(o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = backend.Close() })
	client, err := api.NewClient(cfg())
	if err != nil {
		b.Fatal(err)
	}
	client.SetToken(token)
	path := mountData + "/" + rel
	ctx := context.Background()

	callAPI := func() time.Duration {
		t0 := time.Now()
		s, err := client.Logical().ReadWithContext(ctx, path)
		if err != nil || s == nil {
			b.Fatal(err)
		}
		data, _ := s.Data["data"].(map[string]any)
		key := "value"
		if conn {
			key = "conn_uri"
		}
		if v, _ := data[key].(string); v == "" {
			b.Fatalf("no %s in %v", key, s.Data)
		}
		return time.Since(t0)
	}
	callBackend := func() time.Duration {
		t0 := time.Now()
		if conn {
			c, err := backend.Connection(ctx, connReq(id))
			if err != nil || c.Host == "" {
				b.Fatal(err)
			}
		} else {
			v, err := backend.Lookup(ctx, varReq(id))
			if err != nil || v != benchValue {
				b.Fatal(err, v)
			}
		}
		return time.Since(t0)
	}
	callAPI() // warm both connections up (and authenticate the backend)
	callBackend()
	b.ReportAllocs()
	var direct, ours time.Duration
	n := 0
	for b.Loop() {
		if n%2 == 0 {
			direct += callAPI()
			ours += callBackend()
		} else {
			ours += callBackend()
			direct += callAPI()
		}
		n++
	}
	b.ReportMetric(float64(direct.Nanoseconds())/float64(n), "api-ns/call")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(n), "backend-ns/call")
	b.ReportMetric(100*(float64(ours)-float64(direct))/float64(direct), "overhead-%")
}

// cannedTransport answers lookup-self, every KV v2 read and (under kv1/)
// every KV v1 read with what Vault 1.14.1 sends.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body string
	switch {
	case strings.HasSuffix(r.URL.Path, "/auth/token/lookup-self"):
		body = `{"request_id":"1","lease_id":"","renewable":false,"lease_duration":0,"data":{"accessor":"a","creation_time":1764417600,` +
			`"creation_ttl":0,"display_name":"token","entity_id":"","expire_time":null,"explicit_max_ttl":0,"id":"canned-token",` +
			`"meta":null,"num_uses":0,"orphan":true,"path":"auth/token/create","policies":["root"],"ttl":0,"type":"service"},` +
			`"wrap_info":null,"warnings":null,"auth":null}`
	case strings.HasPrefix(r.URL.Path, "/v1/kv1/") && strings.Contains(r.URL.Path, "/connections/"):
		body = cannedConnectionV1
	case strings.HasPrefix(r.URL.Path, "/v1/kv1/"):
		body = cannedVariableV1
	case strings.Contains(r.URL.Path, "/connections/"):
		body = cannedConnection
	default:
		body = cannedVariable
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

var (
	cannedConnection = kvV2Body(map[string]any{"conn_uri": benchURI})
	cannedVariable   = kvV2Body(map[string]any{"value": benchValue})
	// KV v1 answers carry the mount's default lease (32 days).
	cannedConnectionV1 = kvV1Body(map[string]any{"conn_uri": benchURI})
	cannedVariableV1   = kvV1Body(map[string]any{"value": benchValue})
)

func kvV1Body(data map[string]any) string {
	b, _ := json.Marshal(map[string]any{
		"request_id": "5b1b5d52-0c5e-4b54-8e3f-3c2b2f1e2a10", "lease_id": "", "renewable": false, "lease_duration": 2764800,
		"data": data, "wrap_info": nil, "warnings": nil, "auth": nil,
	})
	return string(b)
}

func kvV2Body(data map[string]any) string {
	b, _ := json.Marshal(map[string]any{
		"request_id": "5b1b5d52-0c5e-4b54-8e3f-3c2b2f1e2a10", "lease_id": "", "renewable": false, "lease_duration": 0,
		"data": map[string]any{"data": data, "metadata": map[string]any{
			"created_time": "2026-11-29T11:46:23.842434206Z", "custom_metadata": nil, "deletion_time": "", "destroyed": false, "version": 1,
		}},
		"wrap_info": nil, "warnings": nil, "auth": nil,
	})
	return string(b)
}

// BenchmarkInMemorySeparate: each side alone against canned responses, so
// that -benchmem reports each one's allocations.
func BenchmarkInMemorySeparate(b *testing.B) {
	vaultfake.Isolate(b)
	cfg := newConfig("http://127.0.0.1:1", cannedTransport{})
	ctx := context.Background()
	backend, err := vault.New(vault.Options{Config: cfg(), Auth: vault.Auth{Token: "canned-token"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = backend.Close() })
	kv1, err := vault.New(vault.Options{Config: cfg(), MountPoint: "kv1", KVVersion: 1, Auth: vault.Auth{Token: "canned-token"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = kv1.Close() })
	client, err := api.NewClient(cfg())
	if err != nil {
		b.Fatal(err)
	}
	client.SetToken("canned-token")
	b.Run("api/variable", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, err := client.Logical().ReadWithContext(ctx, "secret/data/variables/region")
			if err != nil || s.Data["data"].(map[string]any)["value"] != benchValue {
				b.Fatal(err)
			}
		}
	})
	b.Run("backend/variable", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v, err := backend.Lookup(ctx, varReq("region")); err != nil || v != benchValue {
				b.Fatal(err)
			}
		}
	})
	b.Run("backend/connection", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if c, err := backend.Connection(ctx, connReq("smtp_default")); err != nil || c.Host == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("backend/variable-kv1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v, err := kv1.Lookup(ctx, varReq("region")); err != nil || v != benchValue {
				b.Fatal(err)
			}
		}
	})
	b.Run("backend/connection-kv1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if c, err := kv1.Connection(ctx, connReq("smtp_default")); err != nil || c.Host == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("backend/answer-variable-kv1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if a := kv1.Answer(ctx, varReq("region")); a.Err != nil || a.Value != benchValue || a.Expires.IsZero() {
				b.Fatal(a.Err)
			}
		}
	})
	b.Run("backend/answer-connection-kv1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if a := kv1.Answer(ctx, connReq("smtp_default")); a.Err != nil || a.Conn.Host == "" || a.Expires.IsZero() {
				b.Fatal(a.Err)
			}
		}
	})
}
