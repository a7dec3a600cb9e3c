package metastore

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/connection"
)

// batchSource is a ConnectionSource of n connections c_0000..., handed
// over in batches, that returns after its last batch the error end.
type batchSource struct {
	n      int
	end    error
	repeat bool // give c_0000 again at the end
}

func (s batchSource) Len() int { return s.n }

func (s batchSource) Each(n int, fn func([]connection.Connection) error) error {
	var batch []connection.Connection
	for i := range s.n {
		c, err := connection.ParseURI(fmt.Sprintf("c_%04d", i), fmt.Sprintf("postgres://u:pw-%d@h%d/db", i, i))
		if err != nil {
			return err
		}
		if batch = append(batch, c); len(batch) == n {
			if err := fn(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if s.repeat {
		c, _ := connection.ParseURI("c_0000", "postgres://h")
		batch = append(batch, c)
	}
	if len(batch) > 0 {
		if err := fn(batch); err != nil {
			return err
		}
	}
	return s.end
}

// TestImportConnectionsFrom: batches are written in one transaction; an
// error from the source after its last batch, or an id given twice, leaves
// the database as it was; progress counts against Len.
func TestImportConnectionsFrom(t *testing.T) {
	errFile := errors.New("f.json:7: a problem found after the last batch")
	tests := []struct {
		name    string
		src     batchSource
		o       ImportOptions
		want    ImportResult
		wantErr string
	}{
		{name: "batches", src: batchSource{n: 1200}, want: ImportResult{Written: 1200}},
		{name: "skip existing", src: batchSource{n: 1200}, o: ImportOptions{OnExisting: Skip}, want: ImportResult{Written: 1199, Skipped: 1}},
		{name: "fail on existing", src: batchSource{n: 1200}, o: ImportOptions{OnExisting: Fail}, wantErr: "nothing was imported"},
		{name: "error after the last batch", src: batchSource{n: 1200, end: errFile}, wantErr: errFile.Error()},
		{name: "id given twice", src: batchSource{n: 10, repeat: true}, wantErr: `connection id "c_0000" given twice`},
	}
	for _, db := range databases {
		for _, tt := range tests {
			t.Run(db.name+"/"+tt.name, func(t *testing.T) {
				s := openStore(t, db.dsn(t), testKey)
				ctx := t.Context()
				before, err := connection.ParseURI("c_0900", "http://before")
				require.NoError(t, err)
				require.NoError(t, s.SetConnection(ctx, before))
				var progress []string
				o := tt.o
				o.Progress = func(done, total int) { progress = append(progress, fmt.Sprintf("%d/%d", done, total)) }
				res, err := s.ImportConnectionsFrom(ctx, tt.src, o)
				all, lerr := s.Connections(ctx)
				require.NoError(t, lerr)
				if tt.wantErr != "" {
					require.Error(t, err)
					assert.Contains(t, err.Error(), tt.wantErr)
					assert.Len(t, all, 1, "nothing imported")
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tt.want, res)
				assert.Len(t, all, tt.src.n)
				assert.Equal(t, []string{"500/1200", "1000/1200", "1200/1200"}, progress)
			})
		}
	}
}

// varSource is a VariableSource of keys k_0000... .
type varSource struct{ n int }

func (s varSource) Len() int { return s.n }

func (s varSource) Each(n int, fn func(keys, values []string) error) error {
	var keys, values []string
	for i := range s.n {
		keys, values = append(keys, fmt.Sprintf("k_%04d", i)), append(values, "v")
		if len(keys) == n {
			if err := fn(keys, values); err != nil {
				return err
			}
			keys, values = keys[:0], values[:0]
		}
	}
	if len(keys) > 0 {
		return fn(keys, values)
	}
	return nil
}

func TestImportVariablesFrom(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			s := openStore(t, db.dsn(t), testKey)
			ctx := t.Context()
			res, err := s.ImportVariablesFrom(ctx, varSource{n: 1200}, ImportOptions{})
			require.NoError(t, err)
			assert.Equal(t, ImportResult{Written: 1200}, res)
			v, err := s.Variable(ctx, "k_1199")
			require.NoError(t, err)
			assert.Equal(t, "v", v)
		})
	}
}
