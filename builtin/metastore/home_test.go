package metastore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// mapBackend answers variables from a map: a tier in front of the
// metastore.
type mapBackend map[string]string

func (m mapBackend) Lookup(_ context.Context, req resolver.Request) (string, error) {
	if v, ok := m[req.ID]; ok && req.Kind == resolver.KindVariable {
		return v, nil
	}
	return "", resolver.ErrNotFound
}

// noHome leaves the process without a home directory, as a service
// started without $HOME is.
func noHome(t *testing.T) {
	for _, k := range []string{"HOME", HomeEnv, "XDG_DATA_HOME"} {
		t.Setenv(k, "")
	}
}

// TestNoHome (issue 15): the embedded default database needs a home
// directory only when it is used. Opening it without one succeeds, so a
// search path whose earlier tiers answer works; a lookup or write that
// reaches it fails saying what to set, and the resolver logs that as the
// tier's failure and goes on. A configured database needs no home.
func TestNoHome(t *testing.T) {
	const want = "metastore: the embedded default database has no directory: $HOME is not defined (set SECRETPATH_HOME, or [database] sql_alchemy_conn)"
	noHome(t)

	t.Run("open, then use", func(t *testing.T) {
		b, err := resolver.OpenBackend(t.Context(), Name, resolver.Env{})
		require.NoError(t, err, "opening needs no home directory")
		s := b.(*Store)
		defer s.Close()
		assert.Equal(t, "sqlite", s.Dialect())
		assert.Equal(t, "", s.Path())
		assert.Equal(t, `table variable, key "k" (sqlite)`, s.Describe(resolver.Request{Kind: resolver.KindVariable, ID: "k"}))
		uses := []struct {
			name string
			use  func() error
		}{
			{"variable lookup", func() error {
				_, err := s.Lookup(t.Context(), resolver.Request{Kind: resolver.KindVariable, ID: "k"})
				return err
			}},
			{"connection lookup", func() error { _, err := s.Connection(t.Context(), connReq("c")); return err }},
			{"write", func() error { return s.SetVariable(t.Context(), "k", "v", "") }},
			{"migrate", func() error { return s.Migrate(t.Context()) }},
			{"check", func() error { _, err := s.Check(t.Context()); return err }},
			{"list", func() error { _, err := s.Variables(t.Context()); return err }},
		}
		for _, u := range uses {
			t.Run(u.name, func(t *testing.T) {
				err := u.use()
				require.Error(t, err)
				assert.Equal(t, want, err.Error())
				assert.False(t, errors.Is(err, resolver.ErrNotFound), "a failure, not an empty table")
			})
		}
	})

	t.Run("search path", func(t *testing.T) {
		b, err := resolver.OpenBackend(t.Context(), Name, resolver.Env{})
		require.NoError(t, err)
		var logs bytes.Buffer
		r := resolver.New(
			resolver.WithBackend("first", mapBackend{"answered": "early"}),
			resolver.WithFallback(Name, b),
			resolver.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		)
		defer r.Close()
		v, err := r.Variable(t.Context(), "answered")
		require.NoError(t, err, "the metastore is never reached")
		assert.Equal(t, "early", v.Reveal())
		assert.Empty(t, logs.String())

		_, err = r.Variable(t.Context(), "absent")
		require.ErrorIs(t, err, resolver.ErrNotFound)
		assert.Contains(t, err.Error(), want)
		assert.Contains(t, logs.String(), "metastore")
		assert.Contains(t, logs.String(), "the embedded default database has no directory")
	})

	t.Run("a configured database needs no home", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.db")
		cfg, err := config.Parse("airflow.cfg", []byte("[database]\nsql_alchemy_conn = sqlite:///"+path+"\n"), nil)
		require.NoError(t, err)
		b, err := resolver.OpenBackend(t.Context(), Name, resolver.Env{Config: cfg})
		require.NoError(t, err)
		s := b.(*Store)
		defer s.Close()
		require.NoError(t, s.SetVariable(t.Context(), "k", "v", ""))
		v, err := s.Variable(t.Context(), "k")
		require.NoError(t, err)
		assert.Equal(t, "v", v)
	})
}
