package metastore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"github.com/secretpath/secretpath/resolver/connection"
)

// OnExisting says what an import does with an id the database already has.
type OnExisting uint8

const (
	// Overwrite replaces the stored value.
	Overwrite OnExisting = iota
	// Skip keeps the stored value.
	Skip
	// Fail aborts the import, which then changes nothing.
	Fail
)

// ImportOptions configure an import.
type ImportOptions struct {
	OnExisting OnExisting
	// Progress, when set, is called after each batch with the number of
	// rows written so far and the total (from the importing goroutine).
	Progress func(done, total int)
}

// ImportResult counts what an import did.
type ImportResult struct {
	Written int // rows inserted or overwritten
	Skipped int // ids kept as they were (Skip)
}

// importBatch is how many rows one INSERT carries.
const importBatch = 500

// ImportConnections writes conns in one transaction: all or nothing, even
// if the process dies midway. A later connection with the same id wins.
func (s *Store) ImportConnections(ctx context.Context, conns []connection.Connection, o ImportOptions) (ImportResult, error) {
	if err := s.beginWrite(ctx); err != nil {
		return ImportResult{}, err
	}
	byID := make(map[string]int, len(conns))
	for i := range conns {
		byID[conns[i].ConnID] = i
	}
	ids := sortedKeys(byID)
	rows := make([][]any, 0, len(ids))
	for _, id := range ids {
		args, err := s.connArgs(&conns[byID[id]])
		if err != nil {
			return ImportResult{}, err
		}
		rows = append(rows, args)
	}
	return s.importRows(ctx, "connection", "conn_id", connWriteColumns, ids, rows, o)
}

// ImportVariables writes vars in one transaction: all or nothing.
func (s *Store) ImportVariables(ctx context.Context, vars map[string]string, o ImportOptions) (ImportResult, error) {
	if err := s.beginWrite(ctx); err != nil {
		return ImportResult{}, err
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := make([][]any, 0, len(keys))
	for _, k := range keys {
		args, err := s.varArgs(k, vars[k], "")
		if err != nil {
			return ImportResult{}, err
		}
		rows = append(rows, args)
	}
	return s.importRows(ctx, "variable", "key", varWriteColumns, keys, rows, o)
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s *Store) importRows(ctx context.Context, table, key string, cols []string, ids []string, rows [][]any, o ImportOptions) (ImportResult, error) {
	return s.importBatches(ctx, table, key, cols, len(rows), func(put func(ids []string, rows [][]any) error) error {
		for start := 0; start < len(rows); start += importBatch {
			end := min(start+importBatch, len(rows))
			if err := put(ids[start:end], rows[start:end]); err != nil {
				return err
			}
		}
		return nil
	}, o)
}

// importBatches writes, in one transaction, the rows that each hands to put
// (at most importBatch at a time, ids unique across every batch): all or
// nothing. An error from each (such as the file's problems, known after its
// last batch) rolls everything back. total is for o.Progress.
func (s *Store) importBatches(ctx context.Context, table, key string, cols []string, total int, each func(put func(ids []string, rows [][]any) error) error, o ImportOptions) (ImportResult, error) {
	d := s.t.d
	var res ImportResult
	update := cols[1:]
	if o.OnExisting != Overwrite {
		update = nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res = ImportResult{}
		full := d.upsert(table, key, cols, update, importBatch)
		args := make([]any, 0, importBatch*len(cols))
		done := 0
		return each(func(ids []string, rows [][]any) error {
			if len(rows) == 0 {
				return nil
			}
			stmt := full
			if len(rows) != importBatch {
				stmt = d.upsert(table, key, cols, update, len(rows))
			}
			args = args[:0]
			for _, r := range rows {
				args = append(args, r...)
			}
			r, err := tx.ExecContext(ctx, stmt, args...)
			if err != nil {
				return s.queryError(ctx, "importing into "+table, err)
			}
			if o.OnExisting != Overwrite {
				n, err := r.RowsAffected()
				if err != nil {
					return s.queryError(ctx, "importing into "+table, err)
				}
				if skipped := len(rows) - int(n); skipped > 0 {
					if o.OnExisting == Fail {
						return fmt.Errorf("metastore: import: %d %s id(s) already exist (first batch with one: ids %q to %q); nothing was imported",
							skipped, table, ids[0], ids[len(ids)-1])
					}
					res.Skipped += skipped
				}
				res.Written += int(n)
			} else {
				res.Written += len(rows)
			}
			done += len(rows)
			if o.Progress != nil {
				o.Progress(done, max(total, done))
			}
			return nil
		})
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// ConnectionSource hands an import its connections in batches: Len is how
// many there are (for ImportOptions.Progress), Each calls fn with at most n
// at a time and returns fn's first error or, after the last batch, its own
// (a file's problems). Ids must be unique across every batch.
// *localfs.File is one.
type ConnectionSource interface {
	Len() int
	Each(n int, fn func([]connection.Connection) error) error
}

// ImportConnectionsFrom writes the connections of src in one transaction,
// batch by batch as src builds them, so that an import holds one batch of
// rows at a time: all or nothing, even if src reports an error after its
// last batch (then nothing is written, and that error is returned).
func (s *Store) ImportConnectionsFrom(ctx context.Context, src ConnectionSource, o ImportOptions) (ImportResult, error) {
	if err := s.beginWrite(ctx); err != nil {
		return ImportResult{}, err
	}
	seen := make(map[string]struct{}, src.Len())
	ids := make([]string, 0, importBatch)
	rows := make([][]any, 0, importBatch)
	return s.importBatches(ctx, "connection", "conn_id", connWriteColumns, src.Len(), func(put func([]string, [][]any) error) error {
		return src.Each(importBatch, func(batch []connection.Connection) error {
			ids, rows = ids[:0], rows[:0]
			for i := range batch {
				id := batch[i].ConnID
				if _, dup := seen[id]; dup {
					return fmt.Errorf("metastore: import: connection id %q given twice", id)
				}
				seen[id] = struct{}{}
				args, err := s.connArgs(&batch[i])
				if err != nil {
					return err
				}
				ids, rows = append(ids, id), append(rows, args)
			}
			return put(ids, rows)
		})
	}, o)
}

// VariableSource is ConnectionSource for variables: a *localfs.File's
// EachVariable is one, through the CLI's adapter (variableFile).
type VariableSource interface {
	Len() int
	Each(n int, fn func(keys, values []string) error) error
}

// ImportVariablesFrom is ImportConnectionsFrom for variables.
func (s *Store) ImportVariablesFrom(ctx context.Context, src VariableSource, o ImportOptions) (ImportResult, error) {
	if err := s.beginWrite(ctx); err != nil {
		return ImportResult{}, err
	}
	seen := make(map[string]struct{}, src.Len())
	rows := make([][]any, 0, importBatch)
	return s.importBatches(ctx, "variable", "key", varWriteColumns, src.Len(), func(put func([]string, [][]any) error) error {
		return src.Each(importBatch, func(keys, values []string) error {
			rows = rows[:0]
			for i, k := range keys {
				if _, dup := seen[k]; dup {
					return fmt.Errorf("metastore: import: variable %q given twice", k)
				}
				seen[k] = struct{}{}
				args, err := s.varArgs(k, values[i], "")
				if err != nil {
					return err
				}
				rows = append(rows, args)
			}
			return put(keys, rows)
		})
	}, o)
}
