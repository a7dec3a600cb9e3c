package execapifake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/execapifake"
)

// TestAnswers: the fake answers as the API server's routes, JWTBearer and
// Cadwyn's version routing do.
func TestAnswers(t *testing.T) {
	f := execapifake.New(t, "tok")
	f.PutVariable("k", "v")
	f.Forbid("variable", "secret_k")
	c, err := execapifake.ConnectionFrom("pg", "postgres://u:p@h:5432/db?sslmode=require")
	require.NoError(t, err)
	f.PutConnection("pg", c)
	f.SetVersions("2025-04-11", "2026-04-06", "2026-11-13")
	tests := []struct {
		name, path, token, version string
		noVersion                  bool
		status                     int
		body                       string
		echo                       string // the Airflow-API-Version answered, "" for none
	}{
		{name: "variable", path: "variables/k", token: "tok", version: "2026-11-13", status: 200,
			body: `{"key":"k","value":"v"}`, echo: "2026-11-13"},
		{name: "no version header: the newest", path: "variables/k", token: "tok", noVersion: true, status: 200,
			body: `{"key":"k","value":"v"}`, echo: "2026-11-13"},
		{name: "a version between two: waterfall", path: "variables/k", token: "tok", version: "2026-05-01", status: 200,
			body: `{"key":"k","value":"v"}`, echo: "2026-05-01"},
		{name: "a version before the earliest: no route", path: "variables/k", token: "tok", version: "2024-01-01", status: 404,
			body: `{"detail":"Not Found"}`, echo: "2024-01-01"},
		{name: "not a date: 422", path: "variables/k", token: "tok", version: "latest", status: 422,
			body: `[{"input":"latest","loc":["header","airflow-api-version"],"msg":"Input should be a valid date or datetime, invalid character in year","type":"date_from_datetime_parsing"}]`},
		{name: "no token: 401", path: "variables/k", version: "2026-11-13", status: 401, body: `{"detail":"Missing auth token"}`, echo: "2026-11-13"},
		{name: "wrong token: 403", path: "variables/k", token: "nope", version: "2026-11-13", status: 403,
			body: `{"detail":"Invalid auth token: Signature verification failed"}`, echo: "2026-11-13"},
		{name: "forbidden: 403", path: "variables/secret_k", token: "tok", version: "2026-11-13", status: 403,
			body: `{"detail":"Task does not have access to variable secret_k"}`, echo: "2026-11-13"},
		{name: "missing variable: the route's 404", path: "variables/nope", token: "tok", version: "2026-11-13", status: 404,
			body: `{"detail":{"message":"Variable with key 'nope' not found","reason":"not_found"}}`, echo: "2026-11-13"},
		{name: "missing connection: the route's 404", path: "connections/nope", token: "tok", version: "2026-11-13", status: 404,
			body: `{"detail":{"message":"Connection with ID nope not found","reason":"not_found"}}`, echo: "2026-11-13"},
		{name: "a connection id with a slash matches no route", path: "connections/a%2Fb", token: "tok", version: "2026-11-13", status: 404,
			body: `{"detail":"Not Found"}`, echo: "2026-11-13"},
		{name: "connection", path: "connections/pg", token: "tok", version: "2026-11-13", status: 200,
			body: `{"conn_id":"pg","conn_type":"postgres","host":"h","schema":"db","login":"u","password":"p","port":5432,"extra":"{\"sslmode\": \"require\"}"}`,
			echo: "2026-11-13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, f.URL+tt.path, nil)
			require.NoError(t, err)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if !tt.noVersion {
				req.Header.Set(execapifake.VersionHeader, tt.version)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.JSONEq(t, tt.body, string(body))
			assert.Equal(t, tt.echo, resp.Header.Get(execapifake.VersionHeader))
		})
	}
	assert.Equal(t, len(tests), f.Count())
}

// TestFaults: injected failures, then normal answers; a refreshed token.
func TestFaults(t *testing.T) {
	f := execapifake.New(t, "tok")
	f.PutVariable("k", "v")
	f.Fail(2, 0, "")
	f.RefreshTo("tok2")
	get := func(token string) (int, string, map[string]any) {
		req, err := http.NewRequest(http.MethodGet, f.URL+"variables/k", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, resp.Header.Get("Refreshed-API-Token"), m
	}
	for range 2 {
		code, _, m := get("tok")
		assert.Equal(t, 500, code)
		assert.Equal(t, map[string]any{"message": "Internal server error"}, m)
	}
	code, refreshed, _ := get("tok")
	assert.Equal(t, 200, code)
	assert.Equal(t, "tok2", refreshed)
	code, refreshed, _ = get("tok2")
	assert.Equal(t, 200, code)
	assert.Empty(t, refreshed, "sent once")
	assert.Equal(t, 4, f.Count())
}
