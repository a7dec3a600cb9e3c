package resolver

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type nopBackend struct{}

func (nopBackend) ConnectionValue(context.Context, string) (string, error) { return "", ErrNotFound }
func (nopBackend) Variable(context.Context, string) (string, error)        { return "", ErrNotFound }

func nopFactory(context.Context, *Kwargs) (Backend, error) { return nopBackend{}, nil }

func TestRegister(t *testing.T) {
	Register("test-registry-a", nopFactory, "some.python.ClassPath")
	t.Cleanup(func() {
		registry.Lock()
		delete(registry.factories, "test-registry-a")
		delete(registry.aliases, "some.python.ClassPath")
		registry.Unlock()
	})

	name, ok := Canonical("some.python.ClassPath")
	assert.True(t, ok)
	assert.Equal(t, "test-registry-a", name)
	assert.Contains(t, Registered(), "test-registry-a")
	assert.NotContains(t, Registered(), "some.python.ClassPath", "aliases are not listed as names")

	b, err := Open(t.Context(), "some.python.ClassPath", nil)
	require.NoError(t, err)
	assert.NotNil(t, b)

	panics := []struct {
		name string
		call func()
	}{
		{"empty name", func() { Register("", nopFactory) }},
		{"nil factory", func() { Register("x-nil", nil) }},
		{"duplicate name", func() { Register("test-registry-a", nopFactory) }},
		{"duplicate alias", func() { Register("x-new", nopFactory, "some.python.ClassPath") }},
		{"alias equal to a name", func() { Register("x-new2", nopFactory, "test-registry-a") }},
		{"empty alias", func() { Register("x-new3", nopFactory, "") }},
	}
	for _, p := range panics {
		assert.Panics(t, p.call, p.name)
	}
}

func TestOpenErrors(t *testing.T) {
	Register("test-registry-b", func(context.Context, *Kwargs) (Backend, error) {
		return nil, errors.New("needs a url")
	})
	t.Cleanup(func() {
		registry.Lock()
		delete(registry.factories, "test-registry-b")
		registry.Unlock()
	})
	_, err := Open(t.Context(), "nope", nil)
	require.ErrorIs(t, err, ErrConfig)
	assert.Contains(t, err.Error(), `unknown backend "nope" (forgotten import?); registered:`)
	assert.Contains(t, err.Error(), "test-registry-b")

	_, err = Open(t.Context(), "test-registry-b", nil)
	assert.EqualError(t, err, "backend test-registry-b: needs a url")
}
