package azurefake_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/azurefake"
)

// Get Secret Versions: the challenge, every version's id and attributes
// without a value, pages joined by nextLink, an empty list for an absent
// secret, and faults aimed at this route only.
func TestListVersions(t *testing.T) {
	f := azurefake.New(t)
	for _, v := range []string{"v1", "v2", "v3"} {
		f.SetSecret("My-Secret", v)
	}
	f.Put("My-Secret", azurefake.Secret{Value: "v4", Disabled: true})

	a := get(t, f, "/secrets/my-secret/versions?api-version=7.4", "")
	assert.Equal(t, http.StatusUnauthorized, a.status)
	assert.NotEmpty(t, a.header.Get("WWW-Authenticate"))
	tok := token(t, f, azurefake.ClientSecret).body["access_token"].(string)

	var ids []string
	enabled := 0
	path := "/secrets/my-secret/versions?api-version=7.4&maxresults=3"
	for pages := 0; path != ""; pages++ {
		require.Less(t, pages, 3)
		a = get(t, f, path, tok)
		require.Equal(t, http.StatusOK, a.status)
		for _, it := range a.body["value"].([]any) {
			item := it.(map[string]any)
			assert.NotContains(t, item, "value")
			ids = append(ids, item["id"].(string))
			attrs := item["attributes"].(map[string]any)
			assert.Contains(t, attrs, "created")
			assert.Contains(t, attrs, "updated")
			if attrs["enabled"] == true {
				enabled++
			}
		}
		path = ""
		if next, ok := a.body["nextLink"].(string); ok {
			u, err := url.Parse(next)
			require.NoError(t, err)
			assert.Equal(t, "3", u.Query().Get("maxresults"))
			assert.NotEmpty(t, u.Query().Get("$skiptoken"))
			path = u.RequestURI()
		} else {
			assert.Nil(t, a.body["nextLink"], "null on the last page")
		}
	}
	assert.Len(t, ids, 4)
	assert.Equal(t, 3, enabled)
	for _, id := range ids {
		assert.Regexp(t, `^`+f.URL+`/secrets/My-Secret/[0-9a-f]{32}$`, id)
	}
	assert.IsIncreasing(t, ids, "ordered by id")

	a = get(t, f, "/secrets/absent/versions?api-version=7.4", tok)
	require.Equal(t, http.StatusOK, a.status)
	assert.Empty(t, a.body["value"])
	assert.Equal(t, http.StatusBadRequest, get(t, f, "/secrets/my-secret/versions?api-version=7.4&maxresults=26", tok).status)

	f.AddFault(azurefake.Fault{Kind: azurefake.KindListVersions, Status: 403, Code: "Forbidden", Inner: "AccessDenied", Message: "no list permission"})
	assert.Equal(t, http.StatusForbidden, get(t, f, "/secrets/my-secret/versions?api-version=7.4", tok).status)
	a = get(t, f, "/secrets/my-secret/?api-version=7.4", tok)
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.True(t, strings.Contains(a.body["error"].(map[string]any)["message"].(string), "disabled"), "GetSecret is not faulted")
	assert.Equal(t, 1, f.Count(azurefake.KindGetSecret))
}

// attributes.exp: Get Secret and Get Secret Versions send a version's
// expiry as Unix seconds when it has one; SetExpiry changes the current
// version's without adding one; an expired secret is still read (200).
func TestExpiry(t *testing.T) {
	f := azurefake.New(t)
	tok := token(t, f, azurefake.ClientSecret).body["access_token"].(string)
	f.SetSecret("s", "v1")
	a := get(t, f, "/secrets/s/?api-version=7.4", tok)
	require.Equal(t, http.StatusOK, a.status)
	assert.NotContains(t, a.body["attributes"].(map[string]any), "exp")

	exp := time.Unix(1900000000, 700_000_000)
	f.Put("s", azurefake.Secret{Value: "v2", Expires: exp})
	a = get(t, f, "/secrets/s/?api-version=7.4", tok)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, float64(1900000000), a.body["attributes"].(map[string]any)["exp"], "whole seconds")

	require.True(t, f.SetExpiry("s", time.Now().Add(-time.Hour)))
	assert.False(t, f.SetExpiry("absent", exp))
	a = get(t, f, "/secrets/s/?api-version=7.4", tok)
	require.Equal(t, http.StatusOK, a.status, "an expired secret is still read")
	assert.Equal(t, "v2", a.body["value"])
	assert.Less(t, a.body["attributes"].(map[string]any)["exp"].(float64), float64(time.Now().Unix()))

	a = get(t, f, "/secrets/s/versions?api-version=7.4", tok)
	require.Equal(t, http.StatusOK, a.status)
	items := a.body["value"].([]any)
	require.Len(t, items, 2, "SetExpiry adds no version")
	withExp := 0
	for _, it := range items {
		if _, ok := it.(map[string]any)["attributes"].(map[string]any)["exp"]; ok {
			withExp++
		}
	}
	assert.Equal(t, 1, withExp)
}
