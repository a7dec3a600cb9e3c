package metastore

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/backendtest"
	"github.com/secretpath/secretpath/resolver/connection"
)

// harness seeds a new database of one kind through the store's import.
type harness struct {
	db  database
	key string
}

func (h harness) Capabilities() backendtest.Capabilities {
	return backendtest.Capabilities{JSONConnections: true, EmptyVariables: true, MultilineValues: true, Mutable: true}
}

func (h harness) Backend(ctx context.Context, t *testing.T, seed backendtest.Seed) resolver.Backend {
	t.Helper()
	s := openStore(t, h.db.dsn(t), h.key)
	var conns []connection.Connection
	for id, v := range seed.Connections {
		c, err := connection.Parse(id, v)
		require.NoError(t, err)
		conns = append(conns, c)
	}
	_, err := s.ImportConnections(ctx, conns, ImportOptions{})
	require.NoError(t, err)
	_, err = s.ImportVariables(ctx, seed.Variables, ImportOptions{})
	require.NoError(t, err)
	return s
}

func (h harness) Mutator(_ *testing.T, b resolver.Backend) backendtest.Mutator {
	return mutator{b.(*Store)}
}

type mutator struct{ s *Store }

func (m mutator) SetConnection(ctx context.Context, connID, value string) error {
	c, err := connection.Parse(connID, value)
	if err != nil {
		return err
	}
	return m.s.SetConnection(ctx, c)
}

func (m mutator) DeleteConnection(ctx context.Context, connID string) error {
	return m.s.DeleteConnection(ctx, connID)
}

func (m mutator) SetVariable(ctx context.Context, key, value string) error {
	return m.s.SetVariable(ctx, key, value, "")
}

func (m mutator) DeleteVariable(ctx context.Context, key string) error {
	return m.s.DeleteVariable(ctx, key)
}

func TestConformance(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Run("encrypted", func(t *testing.T) { backendtest.Run(t, harness{db: db, key: testKey}) })
			t.Run("clear", func(t *testing.T) { backendtest.Run(t, harness{db: db}) })
		})
	}
}
