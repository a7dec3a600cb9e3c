package executionapi_test

import (
	"context"
	"testing"

	"github.com/secretpath/secretpath/builtin/executionapi"
	"github.com/secretpath/secretpath/internal/execapifake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
)

// harness: the fake API server holding the seed (connections parsed and
// served as ConnectionResponse fields, as the server does), the backend
// opened from a config file and the token variable.
type harness struct{ tokenFile bool }

func (harness) Capabilities() backendtest.Capabilities {
	return backendtest.Capabilities{JSONConnections: true, EmptyVariables: true, MultilineValues: true}
}

func (h harness) Backend(_ context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	f := execapifake.New(t, testToken)
	for id, v := range seed.Connections {
		conn(t, f, id, v)
	}
	for k, v := range seed.Variables {
		f.PutVariable(k, v)
	}
	if !h.tokenFile {
		return openFake(t, f, `{}`)
	}
	isolate(t)
	t.Setenv(executionapi.TokenFileEnv, writeToken(t, t.TempDir(), testToken+"\n"))
	b, err := openConfig(t, "[core]\nexecution_api_server_url = "+f.URL+"\n", `{"timeout": 5}`)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	t.Run("token", func(t *testing.T) { backendtest.Run(t, harness{}) })
	t.Run("token-file", func(t *testing.T) { backendtest.Run(t, harness{tokenFile: true}) })
}
