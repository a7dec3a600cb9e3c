package gcpfake_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/gcpfake"
)

// GetSecret answers with the Secret resource (expireTime and rotation when
// set, never a payload); the service deletes a secret at its expireTime.
func TestGetSecret(t *testing.T) {
	f := gcpfake.New(t)
	f.AllowUnauthenticated()
	f.PutSecret("plain", "p")
	f.PutSecret("rot", "r")
	f.PutSecret("temp", "t")
	next := time.Date(2031, 5, 6, 7, 8, 9, 123456000, time.UTC)
	require.True(t, f.SetNextRotation(gcpfake.ProjectID, "rot", next))
	require.True(t, f.SetExpireTime(gcpfake.ProjectID, "rot", next.Add(time.Hour)))
	require.False(t, f.SetExpireTime(gcpfake.ProjectID, "nope", next))
	base := f.URL + "/v1/projects/" + gcpfake.ProjectID + "/secrets/"

	get := func(name string) (int, map[string]any) {
		t.Helper()
		r := do(t, "GET", base+name, nil, "")
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.body), &doc), r.body)
		return r.status, doc
	}
	status, doc := get("plain")
	require.Equal(t, 200, status)
	assert.Equal(t, "projects/123456789012/secrets/plain", doc["name"])
	for _, k := range []string{"expireTime", "rotation", "payload"} {
		assert.NotContains(t, doc, k)
	}
	status, doc = get("rot")
	require.Equal(t, 200, status)
	assert.Equal(t, "2031-05-06T08:08:09.123456Z", doc["expireTime"])
	assert.Equal(t, "2031-05-06T07:08:09.123456Z", doc["rotation"].(map[string]any)["nextRotationTime"])
	assert.NotEmpty(t, doc["topics"], "rotation requires topics")
	status, doc = get("nope")
	assert.Equal(t, 404, status)
	assert.Equal(t, "NOT_FOUND", doc["error"].(map[string]any)["status"])
	status, _ = get("a.b")
	assert.Equal(t, 400, status)
	assert.Equal(t, 4, f.CountRoute(gcpfake.RouteGetSecret), "recorded as GetSecret")

	// Expired: deleted, whatever is asked.
	require.True(t, f.SetExpireTime(gcpfake.ProjectID, "temp", time.Now().Add(-time.Second)))
	status, _ = get("temp")
	assert.Equal(t, 404, status)
	r := do(t, "GET", base+"temp/versions/latest:access", nil, "")
	assert.Equal(t, 404, r.status)
}
