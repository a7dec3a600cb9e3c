package gcpsecretmanager_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/secretpath/secretpath/builtin/gcpsecretmanager"
	"github.com/secretpath/secretpath/internal/gcpfake"
	"github.com/secretpath/secretpath/resolver"
)

// The benchmarks compare a lookup through the backend with the bare call a
// program would make without it: an oauth2 HTTP client's GET of the same
// URL and a JSON and base64 decode of the payload (target: ≤ 5% overhead).
// Each runs the two calls in one loop, alternating which goes first, and
// reports each one's time per call and the backend's overhead in percent;
// ns/op counts both calls.

const benchValue = "smtps://user:s3cret@relay.example.com:465"

// BenchmarkAccess: against the fake on loopback.
func BenchmarkAccess(b *testing.B) {
	gcpfake.Isolate(b, nil)
	f := gcpfake.New(b)
	f.AllowToken(staticToken)
	f.PutSecret("airflow-connections-smtp_default", benchValue)
	benchPair(b, f.URL, nil)
}

// BenchmarkAccessInMemory: the HTTP exchange replaced by a canned
// response, so that the comparison isolates the CPU the backend adds.
func BenchmarkAccessInMemory(b *testing.B) {
	gcpfake.Isolate(b, nil)
	benchPair(b, "http://127.0.0.1:1", cannedTransport{})
}

func benchPair(b *testing.B, endpoint string, rt http.RoundTripper) {
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: staticToken})
	hc := &http.Client{Transport: rt}
	if rt == nil {
		hc = nil
	}
	backend, err := gcpsecretmanager.New(b.Context(), gcpsecretmanager.Options{
		ProjectID: gcpfake.ProjectID, Credentials: &google.Credentials{TokenSource: ts}, Endpoint: endpoint, HTTPClient: hc,
	})
	if err != nil {
		b.Fatal(err)
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	var bare http.RoundTripper = base
	if rt != nil {
		bare = rt
	}
	raw := &http.Client{Transport: &oauth2.Transport{Source: ts, Base: bare}}
	url := endpoint + "/v1/projects/" + gcpfake.ProjectID + "/secrets/airflow-connections-smtp_default/versions/latest:access"
	ctx := b.Context()
	callRaw := func() time.Duration {
		t0 := time.Now()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := raw.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out struct{ Payload struct{ Data string } }
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		data, err2 := base64.StdEncoding.DecodeString(out.Payload.Data)
		if err != nil || err2 != nil || string(data) != benchValue {
			b.Fatal(err, err2)
		}
		return time.Since(t0)
	}
	callBackend := func() time.Duration {
		t0 := time.Now()
		v, err := backend.Lookup(ctx, resolver.Request{Kind: resolver.KindConnection, ID: "smtp_default"})
		if err != nil || v != benchValue {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	callRaw() // warm both connections up
	callBackend()
	b.ReportAllocs()
	var bareTime, ours time.Duration
	n := 0
	for b.Loop() {
		if n%2 == 0 {
			bareTime += callRaw()
			ours += callBackend()
		} else {
			ours += callBackend()
			bareTime += callRaw()
		}
		n++
	}
	b.ReportMetric(float64(bareTime.Nanoseconds())/float64(n), "bare-ns/call")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(n), "backend-ns/call")
	b.ReportMetric(100*(float64(ours)-float64(bareTime))/float64(bareTime), "overhead-%")
}

// cannedTransport answers every request with one AccessSecretVersion
// response.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(*http.Request) (*http.Response, error) {
	body := `{"name": "projects/123456789012/secrets/airflow-connections-smtp_default/versions/1", "payload": {"data": "` +
		base64.StdEncoding.EncodeToString([]byte(benchValue)) + `", "dataCrc32c": "` +
		strconv.FormatInt(gcpfake.Checksum([]byte(benchValue)), 10) + `"}}`
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/json; charset=UTF-8"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
	}, nil
}
