package resolver

import (
	"context"
	"fmt"
)

// tier is one backend of the search path with its optional interfaces
// resolved once.
type tier struct {
	name  string
	b     Backend
	conns ConnectionBackend // nil unless b implements it
	cfgs  ConfigBackend     // nil unless b implements it
}

func newTier(name string, b Backend) tier {
	if b == nil {
		panic("resolver: nil Backend")
	}
	if name == "" {
		if n, ok := b.(Named); ok {
			name = n.Name()
		} else {
			name = fmt.Sprintf("%T", b)
		}
	}
	t := tier{name: name, b: b}
	t.conns, _ = b.(ConnectionBackend)
	t.cfgs, _ = b.(ConfigBackend)
	return t
}

func (t *tier) connection(ctx context.Context, id string) (Connection, error) {
	if t.conns != nil {
		return t.conns.Connection(ctx, id)
	}
	v, err := t.b.ConnectionValue(ctx, id)
	if err != nil {
		return Connection{}, err
	}
	if v == "" { // Airflow: a falsy value is no connection
		return Connection{}, ErrNotFound
	}
	return ParseConnection(id, v)
}

func (t *tier) value(ctx context.Context, kind Kind, key string) (string, error) {
	switch kind {
	case KindVariable:
		return t.b.Variable(ctx, key)
	case KindConfig:
		if t.cfgs == nil {
			return "", ErrNotFound
		}
		return t.cfgs.Config(ctx, key)
	}
	return "", fmt.Errorf("resolver: %s is not a value kind", kind)
}

// describe is what the tier asks for (kind, id), or "" when the backend
// does not say.
func (t *tier) describe(kind Kind, id string) string {
	if d, ok := t.b.(Describer); ok {
		return d.Describe(kind, id)
	}
	return ""
}
