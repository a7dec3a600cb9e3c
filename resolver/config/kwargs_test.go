package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseKwargs(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		wantErr string
		keys    []string
	}{
		{name: "empty", text: "", keys: []string{}},
		{name: "blank", text: "  \n ", keys: []string{}},
		{name: "object", text: `{"a": 1, "b": null}`, keys: []string{"a", "b"}},
		{name: "array", text: `[1]`, wantErr: "backend_kwargs must be a JSON object"},
		{name: "string", text: `"x"`, wantErr: "backend_kwargs must be a JSON object"},
		{name: "null", text: `null`, wantErr: "backend_kwargs must be a JSON object"},
		{name: "broken", text: "{\"token\": \"Pl4nted\",\n oops}", wantErr: "syntax error at line 2"},
		{name: "trailing garbage", text: `{"a": 1} x`, wantErr: "not a valid JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKwargs([]byte(tt.text))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "Pl4nted")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.keys, k.Keys())
		})
	}
}

func TestKwargsGetters(t *testing.T) {
	k, err := ParseKwargs([]byte(`{
		"s": "str", "empty": "", "null": null, "n": 3, "ns": "4", "f": 1.5,
		"b": true, "bs": "yes", "bad": {"x": 1}, "secret": "Pl4nted"
	}`))
	require.NoError(t, err)

	s, on, err := k.OptString("s", "def")
	require.NoError(t, err)
	assert.Equal(t, "str", s)
	assert.True(t, on)

	s, on, err = k.OptString("null", "def")
	require.NoError(t, err)
	assert.False(t, on, "null switches a kind off")
	assert.Empty(t, s)

	s, on, err = k.OptString("absent", "def")
	require.NoError(t, err)
	assert.True(t, on)
	assert.Equal(t, "def", s)

	s, on, err = k.OptString("empty", "def")
	require.NoError(t, err)
	assert.True(t, on)
	assert.Equal(t, "", s, `"" means no prefix, not the default`)

	n, err := k.Int("n", 0)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	n, err = k.Int("ns", 0)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "numbers may come as strings (env overrides are raw strings)")
	_, err = k.Int("f", 0)
	assert.ErrorContains(t, err, `"f" must be an integer`)

	f, err := k.Float("f", 0)
	require.NoError(t, err)
	assert.Equal(t, 1.5, f)

	b, err := k.Bool("b", false)
	require.NoError(t, err)
	assert.True(t, b)
	b, err = k.Bool("bs", false)
	require.NoError(t, err)
	assert.True(t, b)
	_, err = k.Bool("s", false)
	assert.ErrorContains(t, err, `"s" must be a boolean`)

	_, err = k.String("bad", "")
	require.Error(t, err)
	_, err = k.Int("secret", 0)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "Pl4nted", "errors name the key, never the value")

	var m map[string]int
	ok, err := k.Decode("bad", &m)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, map[string]int{"x": 1}, m)

	err = k.CheckUnused("test")
	require.NoError(t, err, "every key was read")
}

func TestKwargsCheckUnusedAndSet(t *testing.T) {
	k, err := ParseKwargs([]byte(`{"known": "a", "typo_one": 1, "typo_two": 2}`))
	require.NoError(t, err)
	_, _ = k.String("known", "")
	err = k.CheckUnused("mybackend")
	require.ErrorIs(t, err, ErrInvalid)
	assert.EqualError(t, err, "configuration error: backend mybackend: unknown backend_kwargs key(s): typo_one, typo_two")

	// A key near one the backend asked for (read or not) gets a hint.
	k2, err := ParseKwargs([]byte(`{"conections_path": "x", "variables_pth": null, "zzz": 1}`))
	require.NoError(t, err)
	_, _ = k2.String("connections_path", "")
	_, _, _ = k2.OptString("variables_path", "")
	_, _ = k2.String("mount_point", "")
	assert.EqualError(t, k2.CheckUnused("vault"), `configuration error: backend vault: unknown backend_kwargs key(s): `+
		`conections_path (did you mean "connections_path"?), variables_pth (did you mean "variables_path"?), zzz`)

	assert.JSONEq(t, `{"known": "a", "typo_one": 1, "typo_two": 2}`, string(k.JSON()))
	k.Set("known", "b")
	v, _ := k.String("known", "")
	assert.Equal(t, "b", v)
	assert.JSONEq(t, `{"known": "b", "typo_one": 1, "typo_two": 2}`, string(k.JSON()))
	assert.True(t, k.Has("typo_one"))
	assert.False(t, k.IsNull("typo_one"))
}
