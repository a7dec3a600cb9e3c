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
		for start := 0; start < len(rows); start += importBatch {
			end := min(start+importBatch, len(rows))
			stmt := full
			if end-start < importBatch {
				stmt = d.upsert(table, key, cols, update, end-start)
			}
			args = args[:0]
			for _, r := range rows[start:end] {
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
				if skipped := (end - start) - int(n); skipped > 0 {
					if o.OnExisting == Fail {
						return fmt.Errorf("metastore: import: %d %s id(s) already exist (first batch with one: ids %q to %q); nothing was imported",
							skipped, table, ids[start], ids[end-1])
					}
					res.Skipped += skipped
				}
				res.Written += int(n)
			} else {
				res.Written += end - start
			}
			if o.Progress != nil {
				o.Progress(end, len(rows))
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}
