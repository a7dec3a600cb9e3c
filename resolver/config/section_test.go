package config

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSection(t *testing.T) {
	f, err := Parse("a.cfg", []byte("[DEFAULT]\ninherited = 1\n[wasm]\nmemory_pages = 256\nmemory_page = 12\nsha265 = "+cfgPlanted+"\n"),
		[]string{"AIRFLOW__WASM__NAME=acme", "AIRFLOW__WASM__POOL_SIZE=2", "AIRFLOW__OTHER__X=1"})
	require.NoError(t, err)
	sec := f.Section("WASM")
	assert.Equal(t, "wasm", sec.Name())
	assert.Equal(t, []string{"memory_page", "memory_pages", "name", "pool_size", "sha265"}, sec.Keys(),
		"options written in the section and set by AIRFLOW__WASM__ variables; not [DEFAULT]'s")
	v, ok := sec.Get("memory_pages")
	assert.True(t, ok)
	assert.Equal(t, "256", v)
	v, ok = sec.Get("name")
	assert.True(t, ok)
	assert.Equal(t, "acme", v)
	_, _ = sec.Get("pool_size")
	v, ok = sec.Get("inherited")
	assert.True(t, ok, "a view reads [DEFAULT] as Get does")
	assert.Equal(t, "1", v)

	err = sec.CheckUnused("memory_pages", "name", "pool_size", "sha256")
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrInvalid))
	assert.Equal(t, "configuration error: a.cfg:5: [wasm] memory_page is not an option secretpath knows (did you mean memory_pages?); "+
		"a.cfg:6: [wasm] sha265 is not an option secretpath knows (did you mean sha256?)", err.Error())
	assert.NotContains(t, err.Error(), cfgPlanted)

	_, _ = sec.Get("memory_page")
	_, _ = sec.Get("SHA265")
	assert.NoError(t, sec.CheckUnused(), "every option read")

	e := sec.Errorf("memory_pages", "must be an integer from %d to %d", 1, 65536)
	assert.True(t, errors.Is(e, ErrInvalid))
	assert.Equal(t, "a.cfg:4: [wasm] memory_pages: must be an integer from 1 to 65536", e.Error())
	e = f.Section("wasm").Errorf("name", "too long")
	assert.Equal(t, "env AIRFLOW__WASM__NAME: [wasm] name: too long", e.Error())
	e = f.Section("wasm").Errorf("absent", "needed")
	assert.Equal(t, "a.cfg: [wasm] absent: needed", e.Error(), "an option not set is placed in the file")

	empty, err := Parse("", nil, nil)
	require.NoError(t, err)
	assert.Empty(t, empty.Section("wasm").Keys())
	assert.NoError(t, empty.Section("wasm").CheckUnused())
	assert.Equal(t, "[wasm] x: bad", empty.Section("wasm").Errorf("x", "bad").Error())
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"sha265", "sha256", 1}, {"memory_page", "memory_pages", 1}, {"", "abc", 3}, {"abc", "abc", 0}, {"ab", "ba", 1}} {
		assert.Equal(t, tt.want, editDistance(tt.a, tt.b), "%s/%s", tt.a, tt.b)
	}
	assert.Equal(t, "", Closest("zzzzzz", []string{"sha256"}))
	assert.Equal(t, "PolicyArns", Closest("policyarn", []string{"Policy", "PolicyArns"}), "case folded")
	assert.Equal(t, []string{"bash", "zsh"}, Nearest("bsh", []string{"fish", "bash", "zsh"}), "ties kept, in order")
	assert.Equal(t, "bash", Closest("bsh", []string{"fish", "bash", "zsh"}), "the first of the ties")
	assert.Nil(t, Nearest("zzzzzz", []string{"sha256"}))
}
