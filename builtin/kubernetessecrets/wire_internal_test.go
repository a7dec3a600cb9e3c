package kubernetessecrets

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestListURL: the list request's URL, joined from a prefix made once, is
// the one url.Values would encode (keys sorted, values query-escaped), and
// the request carries the credential and our User-Agent only.
func TestListURL(t *testing.T) {
	tests := []struct{ namespace, selector string }{
		{"airflow", "airflow.apache.org/connection-id=smtp_default"},
		{"airflow", "airflow.apache.org/variable-key=v,!airflow.apache.org/team"},
		{"team-ns", "airflow.apache.org/connection-id=a.b-c_d,airflow.apache.org/team=team_a"},
	}
	for _, tt := range tests {
		var got *http.Request
		b, err := New(t.Context(), Options{
			Cluster:   Cluster{Server: "https://127.0.0.1:6443/", Token: "tok"},
			Namespace: tt.namespace,
			HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				got = r
				return nil, assert.AnError
			})},
		})
		require.NoError(t, err)
		_, err = b.find(t.Context(), tt.selector, "value")
		require.Error(t, err)
		require.NotNil(t, got, "a request was made")
		want := "https://127.0.0.1:6443/api/v1/namespaces/" + tt.namespace + "/secrets?" +
			url.Values{"labelSelector": {tt.selector}, "resourceVersion": {"0"}}.Encode()
		assert.Equal(t, want, got.URL.String())
		assert.Equal(t, tt.selector, got.URL.Query().Get("labelSelector"))
		assert.Equal(t, http.Header{"Authorization": {"Bearer tok"}, "User-Agent": {"secretpath"}}, got.Header)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
