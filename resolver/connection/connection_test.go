package connection

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func plantedConnection() Connection {
	return Connection{
		ConnID: "c", ConnType: "postgres", Host: "db", Login: "app", Port: 5432,
		Password: NewSecret("Pl4nted-Pass"), Extra: `{"token": "Pl4nted-Token"}`,
	}
}

func TestConnectionRedaction(t *testing.T) {
	c := plantedConnection()
	outputs := map[string]string{
		"%v":     fmt.Sprintf("%v", c),
		"%+v":    fmt.Sprintf("%+v", c),
		"%#v":    fmt.Sprintf("%#v", c),
		"%s":     fmt.Sprintf("%s", c),
		"%q":     fmt.Sprintf("%q", c),
		"ptr %v": fmt.Sprintf("%v", &c),
		"String": c.String(),
		"slice":  fmt.Sprint([]Connection{c}),
		"map":    fmt.Sprint(map[string]Connection{"k": c}),
	}
	b, err := json.Marshal(c)
	require.NoError(t, err)
	outputs["json"] = string(b)
	b, err = json.Marshal(struct{ C *Connection }{&c})
	require.NoError(t, err)
	outputs["json nested"] = string(b)

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "conn", c, "pw", c.Password)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "conn", c, "pw", c.Password)
	outputs["slog"] = buf.String()

	for name, out := range outputs {
		assert.NotContains(t, out, "Pl4nted", name)
		assert.Contains(t, out, "***", name)
	}
	assert.Equal(t, `Connection(conn_id="c", conn_type="postgres", host="db", port=5432, login="app", password=***, extra=***)`, c.String())
}

func TestRevealedJSON(t *testing.T) {
	c := plantedConnection()
	b, err := c.RevealedJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"conn_id": "c", "conn_type": "postgres", "description": null, "host": "db",
		"schema": null, "login": "app", "password": "Pl4nted-Pass", "port": 5432,
		"extra": {"token": "Pl4nted-Token"}}`, string(b))

	var empty Connection
	b, err = empty.RevealedJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"conn_id": null, "conn_type": null, "description": null, "host": null,
		"schema": null, "login": null, "password": null, "port": null, "extra": null}`, string(b))

	empty.SetPresent(FieldHost | FieldSchema | FieldPort | FieldLogin)
	b, err = empty.RevealedJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"conn_id": null, "conn_type": null, "description": null, "host": "",
		"schema": "", "login": "", "password": null, "port": 0, "extra": null}`, string(b),
		`present-but-empty fields render as "" and 0, as Airflow's`)
	empty.ClearPresent(FieldPort)
	assert.False(t, empty.Has(FieldPort))
	assert.True(t, empty.Has(FieldHost))

	bad := Connection{Extra: "{not json"}
	_, err = bad.RevealedJSON()
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestExtraAccess(t *testing.T) {
	c := Connection{ConnID: "c", Extra: `{"a": {"b": [1, "two"]}, "flag": true}`}
	for _, tc := range []struct {
		path, want string
		ok         bool
	}{
		{"a.b.1", "two", true},
		{"a.b.0", "1", true},
		{"flag", "true", true},
		{"a.b", `[1, "two"]`, true},
		{"missing", "", false},
	} {
		got, ok := c.ExtraString(tc.path)
		assert.Equal(t, tc.ok, ok, tc.path)
		assert.Equal(t, tc.want, got, tc.path)
	}
	m, err := c.ExtraMap()
	require.NoError(t, err)
	assert.Equal(t, true, m["flag"])

	var none Connection
	_, ok := none.ExtraString("a")
	assert.False(t, ok)
	m, err = none.ExtraMap()
	require.NoError(t, err)
	assert.Empty(t, m)
}
