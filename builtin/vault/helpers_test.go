package vault_test

import (
	"encoding/json"
	"errors"
	"maps"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/builtin/vault"
	"github.com/secretpath/secretpath/internal/testutil"
	"github.com/secretpath/secretpath/internal/vaultfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/connection"
)

// openKwargs builds the backend through the registry, as a config file does.
func openKwargs(t testing.TB, kw map[string]any) (resolver.Backend, error) {
	t.Helper()
	return testutil.OpenKwargs(t, vault.Name, kw)
}

// mustOpen opens the backend and closes it when t ends.
func mustOpen(t testing.TB, kw map[string]any) *vault.Backend {
	t.Helper()
	b, err := openKwargs(t, kw)
	require.NoError(t, err)
	vb, ok := b.(*vault.Backend)
	require.True(t, ok, "%T", b)
	t.Cleanup(func() { _ = vb.Close() })
	return vb
}

// fake is a fake Vault with KV v2 at secret/ and KV v1 at kv1/, and a root
// token, in an isolated environment.
type fake struct {
	*vaultfake.Server
	root string
}

func newFake(t testing.TB) *fake {
	t.Helper()
	vaultfake.Isolate(t)
	s := vaultfake.New(t)
	s.Mount("secret", 2)
	s.Mount("kv1", 1)
	return &fake{Server: s, root: s.CreateToken(vaultfake.TokenOptions{})}
}

// kwargs points a backend at f with its root token, plus extra.
func (f *fake) kwargs(extra map[string]any) map[string]any {
	kw := map[string]any{"url": f.URL, "token": f.root}
	maps.Copy(kw, extra)
	return kw
}

// reads returns the KV paths read (requests other than auth/).
func (f *fake) reads() []string {
	var out []string
	for _, r := range f.Requests() {
		if len(r.Path) < 5 || r.Path[:5] != "auth/" {
			out = append(out, r.Path)
		}
	}
	return out
}

// connFields turns an Airflow JSON connection into the fields a Vault
// secret holds for it (conn_type normalised as the JSON form reads it).
func connFields(t testing.TB, connID, value string) map[string]any {
	t.Helper()
	c, err := connection.Parse(connID, value)
	require.NoError(t, err)
	m := map[string]any{}
	put := func(f connection.Field, k, v string) {
		if c.Has(f) {
			m[k] = v
		}
	}
	put(connection.FieldConnType, "conn_type", c.ConnType)
	put(connection.FieldHost, "host", c.Host)
	put(connection.FieldLogin, "login", c.Login)
	put(connection.FieldSchema, "schema", c.Schema)
	put(connection.FieldDescription, "description", c.Description)
	if c.Has(connection.FieldPort) {
		m["port"] = c.Port
	}
	if !c.Password.IsZero() {
		m["password"] = c.Password.Reveal()
	}
	if c.Extra != "" {
		var extra map[string]any
		require.NoError(t, json.Unmarshal([]byte(c.Extra), &extra))
		m["extra"] = extra
	}
	return m
}

// secretFor is what a Vault secret holds for a seed connection value: a URI
// under conn_uri, the JSON form as fields.
func secretFor(t testing.TB, connID, value string) map[string]any {
	t.Helper()
	if len(value) > 0 && value[0] == '{' {
		return connFields(t, connID, value)
	}
	return map[string]any{"conn_uri": value}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// connReq, varReq and cfgReq are the requests for a connection, a variable
// and a config, without a team.
func connReq(id string) resolver.Request {
	return resolver.Request{Kind: resolver.KindConnection, ID: id}
}

func varReq(key string) resolver.Request {
	return resolver.Request{Kind: resolver.KindVariable, ID: key}
}

func cfgReq(key string) resolver.Request {
	return resolver.Request{Kind: resolver.KindConfig, ID: key}
}
