package resolver

import (
	"context"
	"fmt"

	"github.com/secretpath/secretpath/resolver/connection"
)

// tier is one backend of the search path with its optional interfaces
// resolved once.
type tier struct {
	name    string
	b       Backend
	conns   ConnectionBackend // nil unless b implements it
	answers AnswerBackend     // nil unless b implements it
	// honours: b promises to return once ctx is done (HonoursContext).
	honours bool
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
	t.answers, _ = b.(AnswerBackend)
	if h, ok := b.(contextHonouring); ok {
		t.honours = h.HonoursContext()
	}
	return t
}

func (t *tier) connection(ctx context.Context, req Request) (connection.Connection, error) {
	if t.conns != nil {
		return t.conns.Connection(ctx, req)
	}
	v, err := t.b.Lookup(ctx, req)
	if err != nil {
		return connection.Connection{}, err
	}
	if v == "" { // Airflow: a falsy value is no connection
		return connection.Connection{}, ErrNotFound
	}
	return connection.Parse(req.ID, v)
}

// describe is what the tier asks for req, or "" when the backend does not
// say.
func (t *tier) describe(req Request) string {
	if d, ok := t.b.(Describer); ok {
		return d.Describe(req)
	}
	return ""
}
