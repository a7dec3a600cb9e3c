package k8sfake_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/k8sfake"
)

// TestSelector: the equality-based selectors the API server documents.
func TestSelector(t *testing.T) {
	labels := map[string]string{"app": "web", "example.com/tier": "db", "empty": ""}
	tests := []struct {
		sel     string
		match   bool
		invalid bool
	}{
		{sel: "", match: true},
		{sel: "app=web", match: true},
		{sel: "app==web", match: true},
		{sel: "app=api", match: false},
		{sel: "app!=api", match: true},
		{sel: "app!=web", match: false},
		{sel: "app", match: true},
		{sel: "!app", match: false},
		{sel: "!missing", match: true},
		{sel: "app=web,example.com/tier=db", match: true},
		{sel: "app=web, example.com/tier=cache", match: false},
		{sel: "empty=", match: true},
		{sel: "app in (web)", invalid: true},
		{sel: "app=we b", invalid: true},
		{sel: "Bad_Prefix.COM/x=1", invalid: true},
		{sel: "app=-web", invalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			sel, err := k8sfake.ParseSelector(tt.sel)
			if tt.invalid {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.match, sel.Matches(labels))
		})
	}
}

// TestAnswers: the list, and failures as v1 Status objects.
func TestAnswers(t *testing.T) {
	f := k8sfake.New(t)
	f.AllowToken("tok")
	f.Forbid("locked")
	f.NamespaceNotFound("gone")
	f.PutValue("ns", "s1", "k", "v", "value", "hello")
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(f.CAPEM))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(ns, sel, token string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodGet, f.URL+"/api/v1/namespaces/"+ns+"/secrets?labelSelector="+url.QueryEscape(sel), nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return resp.StatusCode, body
	}
	tests := []struct {
		name, ns, sel, token string
		code                 int
		reason               string
		items                int
	}{
		{name: "list", ns: "ns", sel: "k=v", token: "tok", code: 200, items: 1},
		{name: "no match", ns: "ns", sel: "k=w", token: "tok", code: 200, items: 0},
		{name: "unknown namespace: empty list, as the real server", ns: "nowhere", sel: "k=v", token: "tok", code: 200, items: 0},
		{name: "no token", ns: "ns", sel: "k=v", code: 401, reason: "Unauthorized"},
		{name: "wrong token", ns: "ns", sel: "k=v", token: "nope", code: 401, reason: "Unauthorized"},
		{name: "forbidden", ns: "locked", sel: "k=v", token: "tok", code: 403, reason: "Forbidden"},
		{name: "not found", ns: "gone", sel: "k=v", token: "tok", code: 404, reason: "NotFound"},
		{name: "bad selector", ns: "ns", sel: "k in (v)", token: "tok", code: 400, reason: "BadRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(tt.ns, tt.sel, tt.token)
			assert.Equal(t, tt.code, code)
			if tt.code != 200 {
				assert.Equal(t, "Status", body["kind"])
				assert.Equal(t, "Failure", body["status"])
				assert.Equal(t, tt.reason, body["reason"])
				assert.EqualValues(t, tt.code, body["code"])
				return
			}
			assert.Equal(t, "SecretList", body["kind"])
			items := body["items"].([]any)
			require.Len(t, items, tt.items)
			if tt.items > 0 {
				data := items[0].(map[string]any)["data"].(map[string]any)
				assert.Equal(t, "aGVsbG8=", data["value"], "data is base64")
			}
		})
	}
	assert.Equal(t, "k=v", f.Requests()[0].LabelSelector)
}
