package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestConnectionsAddRefusesWhatAirflowRefuses: a URI without a scheme (the
// check of Airflow's connections_add, _valid_uri), and a connection that
// ends up without a conn_type (Airflow: "must supply conn-type"), exit 2
// naming the flag, store nothing and never echo the value.
func TestConnectionsAddRefusesWhatAirflowRefuses(t *testing.T) {
	freshHome(t)
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{name: "not a uri", args: []string{"--conn-uri", "not a uri"}, wantStderr: "--conn-uri: the URI has no scheme"},
		{name: "empty uri", args: []string{"--conn-uri", ""}, wantStderr: "--conn-uri: the URI has no scheme"},
		{name: "scheme-less authority", args: []string{"--conn-uri", "//u:Pl4nted@db:5432/x"}, wantStderr: "--conn-uri: the URI has no scheme"},
		{name: "digit first", args: []string{"--conn-uri", "9p://u:Pl4nted@h"}, wantStderr: "--conn-uri: the URI has no scheme"},
		{name: "space in scheme", args: []string{"--conn-uri", "my db://u:Pl4nted@h"}, wantStderr: "--conn-uri: the URI has no scheme"},
		{name: "json with a scheme-less uri", args: []string{"--conn-json", `{"uri": "//u:Pl4nted@h"}`}, wantStderr: "--conn-json: the connection has no conn_type"},
		{name: "empty conn type", args: []string{"--conn-type", "", "--conn-host", "h", "--conn-password", "Pl4nted"}, wantStderr: "--conn-type is empty"},
		{name: "bad port still a usage error", args: []string{"--conn-uri", "http://u:Pl4nted@h:x"}, wantStderr: "--conn-uri: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"connections", "add", "nouri"}, tt.args...)
			res := runCLI(t, nil, args...)
			assert.Equal(t, 2, res.code, res.stderr)
			assert.Contains(t, res.stderr, tt.wantStderr)
			assert.NotContains(t, res.stderr, "Pl4nted")
			assert.Empty(t, res.stdout)
			res = runCLI(t, nil, "connections", "get", "nouri")
			assert.Equal(t, 1, res.code, "nothing was stored: %s", res.stdout)
		})
	}

	// What Airflow's CLI accepts still goes in.
	for _, uri := range []string{"http://h", "  http://h", "sqlite:relative.db", "google-cloud-platform://"} {
		res := runCLI(t, nil, "connections", "add", "ok", "--conn-uri", uri)
		assert.Equal(t, 0, res.code, "%q: %s", uri, res.stderr)
		assert.Equal(t, 0, runCLI(t, nil, "connections", "delete", "ok").code)
	}
}
