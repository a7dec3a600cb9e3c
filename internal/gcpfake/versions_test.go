package gcpfake_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/gcpfake"
)

// GetSecretVersion answers with the SecretVersion resource, never a
// payload, and is counted apart from AccessSecretVersion.
func TestGetSecretVersion(t *testing.T) {
	f := gcpfake.New(t)
	f.AllowUnauthenticated()
	f.PutSecret("s", "first")
	f.PutSecret("s", "second")
	f.PutSecret("d", "gone")
	f.SetVersionState(gcpfake.ProjectID, "d", 1, gcpfake.Destroyed)
	base := f.URL + "/v1/projects/" + gcpfake.ProjectID + "/secrets/"

	tests := []struct {
		path   string
		status int
		want   map[string]any // fields checked
		absent []string
	}{
		{"s/versions/latest", 200, map[string]any{"name": "projects/123456789012/secrets/s/versions/2", "state": "ENABLED"}, []string{"payload", "destroyTime"}},
		{"s/versions/1", 200, map[string]any{"name": "projects/123456789012/secrets/s/versions/1"}, []string{"payload"}},
		{"d/versions/latest", 200, map[string]any{"state": "DESTROYED"}, []string{"payload"}},
		{"nope/versions/latest", 404, map[string]any{"error.status": "NOT_FOUND"}, nil},
		{"s/versions/9", 404, map[string]any{"error.status": "NOT_FOUND"}, nil},
		{"s/versions/zero", 400, map[string]any{"error.status": "INVALID_ARGUMENT"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := do(t, "GET", base+tt.path, nil, "")
			require.Equal(t, tt.status, r.status, r.body)
			assert.Equal(t, "application/json; charset=UTF-8", r.header.Get("Content-Type"))
			var doc map[string]any
			require.NoError(t, json.Unmarshal([]byte(r.body), &doc))
			for k, v := range tt.want {
				if k == "error.status" {
					assert.Equal(t, v, doc["error"].(map[string]any)["status"])
					continue
				}
				assert.Equal(t, v, doc[k], k)
			}
			for _, k := range tt.absent {
				assert.NotContains(t, doc, k)
			}
			if r.status == 200 {
				assert.NotEmpty(t, doc["createTime"])
				assert.NotEmpty(t, doc["etag"])
			}
		})
	}
	d := do(t, "GET", base+"d/versions/1", nil, "")
	assert.Contains(t, d.body, "destroyTime")
	assert.NotContains(t, d.body, "gone")
	assert.Equal(t, len(tests)+1, f.CountRoute(gcpfake.RouteGetVersion))
	assert.Zero(t, f.CountRoute(gcpfake.RouteAccess))

	// A fault on one route leaves the other alone.
	f.AddFault(gcpfake.Fault{Route: gcpfake.RouteGetVersion, Status: "UNAVAILABLE"})
	assert.Equal(t, 503, do(t, "GET", base+"s/versions/latest", nil, "").status)
	assert.Equal(t, 200, do(t, "GET", base+"s/versions/latest:access", nil, "").status)
	assert.Equal(t, 1, f.CountRoute(gcpfake.RouteAccess))
}
