package metastore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/secretpath/secretpath/resolver/config"
	"github.com/secretpath/secretpath/resolver/connection"
)

// ErrExists is returned by AddConnection when the id is taken.
var ErrExists = errors.New("already exists")

// The connection table's columns as writes list them.
var connWriteColumns = []string{"conn_id", "conn_type", "description", "host", "schema", "login", "password", "port", "is_encrypted", "is_extra_encrypted", "extra"}

var varWriteColumns = []string{"key", "val", "description", "is_encrypted"}

// tx runs fn in a write transaction, creating the database and its tables
// first when they are missing.
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	db, _, err := s.conn(ctx, true)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, s.t.d.txOptions)
	if err != nil {
		return s.queryError(ctx, "starting a transaction", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback() //nolint:errcheck
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.queryError(ctx, "committing", err)
	}
	s.writes.Add(1)
	return nil
}

// seal encrypts a value for storage when a key is configured. Writers call
// s.conn(ctx, true) first, which creates the default database's key.
func (s *Store) seal(v string) (string, bool, error) {
	k := s.keysNow()
	if !k.enabled() {
		return v, false, nil
	}
	tok, err := k.encrypt(v)
	return tok, err == nil, err
}

// beginWrite connects for a write: the database, its tables and the
// default key are created when missing.
func (s *Store) beginWrite(ctx context.Context) error {
	_, _, err := s.conn(ctx, true)
	return err
}

// connArgs returns c's row in connWriteColumns order: absent fields are
// NULL, the password and the extra encrypted.
func (s *Store) connArgs(c *connection.Connection) ([]any, error) {
	if c.ConnID == "" {
		return nil, fmt.Errorf("%w: metastore: a connection needs a conn_id", connection.ErrInvalid)
	}
	opt := func(f connection.Field, v string) any {
		if !c.Has(f) {
			return nil
		}
		return v
	}
	var port any
	if c.Has(connection.FieldPort) {
		port = c.Port
	}
	var pw, extra any
	var pwEnc, extraEnc bool
	if !c.Password.IsZero() {
		v, enc, err := s.seal(c.Password.Reveal())
		if err != nil {
			return nil, err
		}
		pw, pwEnc = v, enc
	}
	if c.Extra != "" {
		v, enc, err := s.seal(c.Extra)
		if err != nil {
			return nil, err
		}
		extra, extraEnc = v, enc
	}
	return []any{c.ConnID, c.ConnType, opt(connection.FieldDescription, c.Description), opt(connection.FieldHost, c.Host),
		opt(connection.FieldSchema, c.Schema), opt(connection.FieldLogin, c.Login), pw, port, pwEnc, extraEnc, extra}, nil
}

func (s *Store) varArgs(key, value, description string) ([]any, error) {
	if key == "" {
		return nil, errors.New("metastore: a variable needs a key")
	}
	v, enc, err := s.seal(value)
	if err != nil {
		return nil, err
	}
	var desc any
	if description != "" {
		desc = description
	}
	return []any{key, v, desc, enc}, nil
}

// SetConnection stores c under c.ConnID, replacing any connection with that
// id.
func (s *Store) SetConnection(ctx context.Context, c connection.Connection) error {
	if err := s.beginWrite(ctx); err != nil {
		return err
	}
	args, err := s.connArgs(&c)
	if err != nil {
		return err
	}
	stmt := s.t.d.upsert("connection", "conn_id", connWriteColumns, connWriteColumns[1:], 1)
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, stmt, args...); err != nil {
			return s.queryError(ctx, "storing a connection", err)
		}
		return nil
	})
}

// AddConnection stores c unless its id is taken (an error wrapping
// ErrExists), as `airflow connections add` does.
func (s *Store) AddConnection(ctx context.Context, c connection.Connection) error {
	if err := s.beginWrite(ctx); err != nil {
		return err
	}
	args, err := s.connArgs(&c)
	if err != nil {
		return err
	}
	stmt := s.t.d.upsert("connection", "conn_id", connWriteColumns, nil, 1)
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, stmt, args...)
		if err != nil {
			return s.queryError(ctx, "adding a connection", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return fmt.Errorf("metastore: connection %q %w", c.ConnID, ErrExists)
		}
		return nil
	})
}

// DeleteConnection deletes connection connID; an absent one is an error
// wrapping resolver.ErrNotFound.
func (s *Store) DeleteConnection(ctx context.Context, connID string) error {
	return s.delete(ctx, "DELETE FROM connection WHERE conn_id = ?", connID, errConnNotFound)
}

// DeleteVariable deletes variable key; an absent one is an error wrapping
// resolver.ErrNotFound.
func (s *Store) DeleteVariable(ctx context.Context, key string) error {
	return s.delete(ctx, "DELETE FROM variable WHERE `key` = ?", key, errVarNotFound)
}

func (s *Store) delete(ctx context.Context, query, id string, notFound error) error {
	if _, err := s.lookupConn(ctx, notFound, false); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.t.d.sql(query), id)
		if err != nil {
			return s.queryError(ctx, "deleting", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return notFound
		}
		return nil
	})
}

// SetVariable stores variable key, replacing its value (and description).
func (s *Store) SetVariable(ctx context.Context, key, value, description string) error {
	if err := s.beginWrite(ctx); err != nil {
		return err
	}
	args, err := s.varArgs(key, value, description)
	if err != nil {
		return err
	}
	stmt := s.t.d.upsert("variable", "key", varWriteColumns, varWriteColumns[1:], 1)
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, stmt, args...); err != nil {
			return s.queryError(ctx, "storing a variable", err)
		}
		return nil
	})
}

// UpdateVariable changes variable key atomically: fn gets the current value
// (exists false when there is none) and returns the new one. Concurrent
// updates, from this process or others, are serialised: none is lost. fn
// may run more than once.
func (s *Store) UpdateVariable(ctx context.Context, key string, fn func(old string, exists bool) (string, error)) error {
	if err := s.beginWrite(ctx); err != nil {
		return err
	}
	d := s.t.d
	sel := d.sql("SELECT val, is_encrypted FROM variable WHERE `key` = ?" + d.forUpdate)
	upd := d.sql("UPDATE variable SET val = ?, is_encrypted = ? WHERE `key` = ?")
	ins := d.upsert("variable", "key", varWriteColumns, nil, 1)
	for attempt := 0; ; attempt++ {
		raced := false
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var val sql.NullString
			var enc sql.NullBool
			exists := true
			switch err := tx.QueryRowContext(ctx, sel, key).Scan(&val, &enc); {
			case errors.Is(err, sql.ErrNoRows):
				exists = false
			case err != nil:
				return s.queryError(ctx, "reading a variable", err)
			}
			old := val.String
			if exists && val.Valid && enc.Bool {
				var err error
				if old, err = s.keysNow().decrypt(old); err != nil {
					return fmt.Errorf("metastore: variable %q: %w", key, err)
				}
			}
			nv, err := fn(old, exists && val.Valid)
			if err != nil {
				return err
			}
			args, err := s.varArgs(key, nv, "")
			if err != nil {
				return err
			}
			if exists {
				_, err = tx.ExecContext(ctx, upd, args[1], args[3], key)
				if err != nil {
					return s.queryError(ctx, "updating a variable", err)
				}
				return nil
			}
			res, err := tx.ExecContext(ctx, ins, args...)
			if err != nil {
				return s.queryError(ctx, "storing a variable", err)
			}
			if n, err := res.RowsAffected(); err == nil && n == 0 {
				raced = true // another writer created it meanwhile: read it again
				return errRaced
			}
			return nil
		})
		if raced && attempt < 10 {
			continue
		}
		return err
	}
}

var errRaced = errors.New("metastore: concurrent insert, retrying")

// Connections returns every connection (of no team), sorted by id, with
// passwords and extras decrypted.
func (s *Store) Connections(ctx context.Context) ([]connection.Connection, error) {
	q, err := s.lookupConn(ctx, nil, false)
	if err != nil || q == nil {
		return nil, err
	}
	team := ""
	if q.connTeams {
		team = " WHERE team_name IS NULL"
	}
	rows, err := s.db.QueryContext(ctx, s.t.d.sql("SELECT conn_id, "+connColumns+" FROM connection"+team+" ORDER BY conn_id"))
	if err != nil {
		return nil, s.queryError(ctx, "listing connections", err)
	}
	defer rows.Close()
	var out []connection.Connection
	for rows.Next() {
		var r connRow
		if err := rows.Scan(append([]any{&r.connID}, r.scanTargets()...)...); err != nil {
			return nil, s.queryError(ctx, "listing connections", err)
		}
		c, err := s.decodeConn(&r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError(ctx, "listing connections", err)
	}
	return out, nil
}

// Variable is one row of the variable table.
type Variable struct {
	Key         string
	Value       connection.Secret
	Description string
}

// Variables returns every variable (of no team) with a value, sorted by
// key, decrypted.
func (s *Store) Variables(ctx context.Context) ([]Variable, error) {
	q, err := s.lookupConn(ctx, nil, false)
	if err != nil || q == nil {
		return nil, err
	}
	team := ""
	if q.varTeams {
		team = " AND team_name IS NULL"
	}
	rows, err := s.db.QueryContext(ctx, s.t.d.sql("SELECT `key`, val, description, is_encrypted FROM variable WHERE val IS NOT NULL"+team+" ORDER BY `key`"))
	if err != nil {
		return nil, s.queryError(ctx, "listing variables", err)
	}
	defer rows.Close()
	var out []Variable
	for rows.Next() {
		var key, val string
		var desc sql.NullString
		var enc sql.NullBool
		if err := rows.Scan(&key, &val, &desc, &enc); err != nil {
			return nil, s.queryError(ctx, "listing variables", err)
		}
		if enc.Bool {
			if val, err = s.keysNow().decrypt(val); err != nil {
				return nil, fmt.Errorf("metastore: variable %q: %w", key, err)
			}
		}
		out = append(out, Variable{Key: key, Value: connection.NewSecret(val), Description: desc.String})
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError(ctx, "listing variables", err)
	}
	return out, nil
}

// Rotated counts what RotateFernetKey re-encrypted.
type Rotated struct {
	Passwords, Extras, Variables int
}

// RotateFernetKey re-encrypts every encrypted password, extra and variable
// with the first key of fernet_key, in one transaction: after adding a new
// key in front ("new,old") and rotating, the old key can be dropped. As in
// Airflow, values stored in clear stay in clear, and tokens keep their
// timestamps.
func (s *Store) RotateFernetKey(ctx context.Context) (Rotated, error) {
	var n Rotated
	if !s.keysNow().enabled() {
		return n, fmt.Errorf("%w: metastore: rotate-fernet-key needs [core] fernet_key", config.ErrInvalid)
	}
	d := s.t.d
	err := s.tx(ctx, func(tx *sql.Tx) error {
		n = Rotated{}
		type row struct {
			id         int64
			a, b       sql.NullString
			aEnc, bEnc bool
		}
		read := func(query string, two bool) ([]row, error) {
			rows, err := tx.QueryContext(ctx, d.sql(query))
			if err != nil {
				return nil, s.queryError(ctx, "rotate-fernet-key", err)
			}
			defer rows.Close()
			var out []row
			for rows.Next() {
				var r row
				var ae, be sql.NullBool
				targets := []any{&r.id, &r.a, &ae}
				if two {
					targets = append(targets, &r.b, &be)
				}
				if err := rows.Scan(targets...); err != nil {
					return nil, s.queryError(ctx, "rotate-fernet-key", err)
				}
				r.aEnc, r.bEnc = ae.Bool && r.a.String != "", be.Bool && r.b.String != ""
				if r.aEnc || r.bEnc {
					out = append(out, r)
				}
			}
			return out, rows.Err()
		}
		conns, err := read("SELECT id, password, is_encrypted, extra, is_extra_encrypted FROM connection"+d.forUpdate, true)
		if err != nil {
			return err
		}
		upd := d.sql("UPDATE connection SET password = ?, extra = ? WHERE id = ?")
		for _, r := range conns {
			if r.aEnc {
				if r.a.String, err = s.keysNow().rotate(r.a.String); err != nil {
					return fmt.Errorf("metastore: connection row %d: password: %w", r.id, err)
				}
				n.Passwords++
			}
			if r.bEnc {
				if r.b.String, err = s.keysNow().rotate(r.b.String); err != nil {
					return fmt.Errorf("metastore: connection row %d: extra: %w", r.id, err)
				}
				n.Extras++
			}
			if _, err := tx.ExecContext(ctx, upd, r.a, r.b, r.id); err != nil {
				return s.queryError(ctx, "rotate-fernet-key", err)
			}
		}
		vars, err := read("SELECT id, val, is_encrypted FROM variable"+d.forUpdate, false)
		if err != nil {
			return err
		}
		updVar := d.sql("UPDATE variable SET val = ? WHERE id = ?")
		for _, r := range vars {
			if r.a.String, err = s.keysNow().rotate(r.a.String); err != nil {
				return fmt.Errorf("metastore: variable row %d: %w", r.id, err)
			}
			if _, err := tx.ExecContext(ctx, updVar, r.a, r.id); err != nil {
				return s.queryError(ctx, "rotate-fernet-key", err)
			}
			n.Variables++
		}
		return nil
	})
	return n, err
}
