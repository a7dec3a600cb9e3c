package k8sfake_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/k8sfake"
)

// wire is a plain HTTP client of the fake.
type wire struct {
	t *testing.T
	f *k8sfake.Server
	c *http.Client
}

func newWire(t *testing.T) *wire {
	f := k8sfake.New(t)
	f.AllowToken("tok")
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(f.CAPEM))
	return &wire{t: t, f: f, c: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
}

func (w *wire) get(query, accept string) *http.Response {
	req, err := http.NewRequestWithContext(w.t.Context(), http.MethodGet, w.f.URL+"/api/v1/namespaces/ns/secrets?"+query, nil)
	require.NoError(w.t, err)
	req.Header.Set("Authorization", "Bearer tok")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := w.c.Do(req)
	require.NoError(w.t, err)
	w.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

type event struct {
	Type   string         `json:"type"`
	Object map[string]any `json:"object"`
}

func meta(obj map[string]any) map[string]any { return obj["metadata"].(map[string]any) }

// TestWatch: the watch stream as the API server documents it: a chunked
// stream of {"type","object"} lines from a resourceVersion, filtered by
// the selector (a secret leaving it is DELETED), bookmarks, 410 Gone as a
// status or an ERROR event, and streams the tests end.
func TestWatch(t *testing.T) {
	w := newWire(t)
	f := w.f
	f.PutValue("ns", "a", "k", "1", "value", "one")
	resp := w.get("labelSelector=k", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var list struct {
		Metadata struct{ ResourceVersion string } `json:"metadata"`
		Items    []map[string]any                 `json:"items"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	rv := list.Metadata.ResourceVersion
	require.Equal(t, strconv.FormatInt(f.ResourceVersion(), 10), rv)
	require.Len(t, list.Items, 1)
	assert.Equal(t, rv, meta(list.Items[0])["resourceVersion"])

	resp = w.get("labelSelector=k&watch=1&allowWatchBookmarks=true&resourceVersion="+url.QueryEscape(rv), "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)
	lines := bufio.NewScanner(resp.Body)
	next := func() event {
		t.Helper()
		require.True(t, lines.Scan(), "an event line")
		var ev event
		require.NoError(t, json.Unmarshal(lines.Bytes(), &ev))
		return ev
	}
	f.PutValue("ns", "b", "k", "2", "value", "two")
	ev := next()
	assert.Equal(t, "ADDED", ev.Type)
	assert.Equal(t, "b", meta(ev.Object)["name"])
	assert.Equal(t, "Secret", ev.Object["kind"])
	assert.NotNil(t, ev.Object["data"])
	f.PutValue("ns", "other", "x", "1", "value", "unselected") // no event
	f.PutValue("ns", "a", "k", "1", "value", "uno")
	ev = next()
	assert.Equal(t, "MODIFIED", ev.Type)
	assert.Equal(t, strconv.FormatInt(f.ResourceVersion(), 10), meta(ev.Object)["resourceVersion"])
	f.PutValue("ns", "a", "not-k", "1", "value", "uno") // leaves the selector
	ev = next()
	assert.Equal(t, "DELETED", ev.Type)
	assert.Equal(t, "a", meta(ev.Object)["name"])
	f.Delete("ns", "b")
	ev = next()
	assert.Equal(t, "DELETED", ev.Type)
	assert.Equal(t, "b", meta(ev.Object)["name"])
	f.Bookmark()
	ev = next()
	assert.Equal(t, "BOOKMARK", ev.Type)
	assert.Equal(t, strconv.FormatInt(f.ResourceVersion(), 10), meta(ev.Object)["resourceVersion"])
	assert.Equal(t, 1, f.CloseWatches())
	assert.False(t, lines.Scan(), "the stream ended")

	// History replays from an older resourceVersion; after Compact it is
	// 410 Gone, as a status or as an ERROR event.
	resp = w.get("labelSelector=k&watch=1&resourceVersion="+url.QueryEscape(rv), "")
	lines = bufio.NewScanner(resp.Body)
	assert.Equal(t, "ADDED", next().Type, "b, replayed")
	require.Eventually(t, func() bool { return f.CloseWatches() == 1 }, 10*time.Second, time.Millisecond)
	f.Compact()
	resp = w.get("labelSelector=k&watch=1&resourceVersion="+url.QueryEscape(rv), "")
	assert.Equal(t, http.StatusGone, resp.StatusCode)
	var st map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	assert.Equal(t, "Status", st["kind"])
	assert.Equal(t, "Expired", st["reason"])
	assert.EqualValues(t, 410, st["code"])
	f.GoneAsEvent(true)
	resp = w.get("labelSelector=k&watch=1&resourceVersion="+url.QueryEscape(rv), "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	lines = bufio.NewScanner(resp.Body)
	ev = next()
	assert.Equal(t, "ERROR", ev.Type)
	assert.EqualValues(t, 410, ev.Object["code"])

	// An open stream ended with an ERROR 410 event.
	resp = w.get("labelSelector=k&watch=1&resourceVersion="+strconv.FormatInt(f.ResourceVersion(), 10), "")
	lines = bufio.NewScanner(resp.Body)
	require.Eventually(t, func() bool { return f.OpenWatches() == 1 }, 10*time.Second, time.Millisecond)
	assert.Equal(t, 1, f.ExpireWatches())
	ev = next()
	assert.Equal(t, "ERROR", ev.Type)
	assert.Equal(t, "Expired", ev.Object["reason"])
	assert.False(t, lines.Scan())
}

// TestMetadataOnly: an Accept header asking for PartialObjectMetadata(List)
// gets metadata without data, in a list and in a watch.
func TestMetadataOnly(t *testing.T) {
	w := newWire(t)
	w.f.PutValue("ns", "a", "k", "1", "value", "secret-value")
	resp := w.get("labelSelector=k", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json")
	var list map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	assert.Equal(t, "PartialObjectMetadataList", list["kind"])
	assert.Equal(t, "meta.k8s.io/v1", list["apiVersion"])
	item := list["items"].([]any)[0].(map[string]any)
	assert.Equal(t, "PartialObjectMetadata", item["kind"])
	assert.NotContains(t, item, "data")
	assert.True(t, w.f.Last().MetadataOnly)

	resp = w.get("labelSelector=k&watch=1&resourceVersion=0", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json")
	var ev event
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&ev))
	assert.Equal(t, "ADDED", ev.Type, "resourceVersion 0: the current secrets first")
	assert.Equal(t, "PartialObjectMetadata", ev.Object["kind"])
	assert.NotContains(t, ev.Object, "data")

	resp = w.get("labelSelector=k", "application/json")
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	assert.Equal(t, "SecretList", list["kind"], "plain JSON: whole secrets")
	assert.False(t, w.f.Last().MetadataOnly)
}
