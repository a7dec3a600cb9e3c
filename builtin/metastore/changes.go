package metastore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/secretpath/secretpath/resolver"
)

// Changes reports changes of the connection and variable tables: it
// makes the Store a resolver.ChangeSource, so that a resolver's cache and
// Watchers see writes by any process. How depends on the database:
//
//   - PostgreSQL: LISTEN on the channel secretpath_changes, on a connection
//     of its own; the triggers InstallNotify creates send each changed row's
//     kind, id and team. Without them it warns, once per call, and reads
//     the tables every Options.TablePoll instead (see the package
//     documentation).
//   - SQLite: PRAGMA data_version every Options.SQLitePoll, on a connection
//     of its own; any commit by another connection or process changes it.
//     A default database that does not exist yet is waited for.
//   - MySQL/MariaDB: CHECKSUM TABLE connection, variable every
//     Options.TablePoll.
//
// A poll cannot tell which row changed: a change it sees is reported as
// resolver.Event{All: true}. watched is not used. Changes returns ctx's
// error when ctx ends, or the error that broke the stream (a lost
// connection, a failed poll). Once the Store is closed, its stream ends
// (its connection is released) and Changes waits for ctx: a closed store
// reports nothing more.
func (s *Store) Changes(ctx context.Context, _ func() []resolver.Request, emit func(resolver.Event)) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-sctx.Done():
		}
	}()
	err := s.changes(sctx, emit)
	select {
	case <-s.done:
		<-ctx.Done()
		return ctx.Err()
	default:
		return err
	}
}

// changes is Changes until ctx ends.
func (s *Store) changes(ctx context.Context, emit func(resolver.Event)) error {
	switch {
	case s.dirErr != nil:
		// No default database can exist: nothing ever changes. Lookups
		// report why.
		emit(resolver.Event{All: true})
		<-ctx.Done()
		return ctx.Err()
	case s.t.d == dialectPostgres:
		return s.listen(ctx, emit)
	case s.t.memory:
		return s.pollWrites(ctx, emit)
	case s.t.d == dialectSQLite:
		return s.pollDataVersion(ctx, emit)
	default:
		return s.pollChecksum(ctx, emit)
	}
}

// poll reads version every interval and emits All when it differs from the
// last reading, and once the first reading is taken.
func poll(ctx context.Context, every time.Duration, emit func(resolver.Event), version func(context.Context) (string, error)) error {
	last, err := version(ctx)
	if err != nil {
		return err
	}
	emit(resolver.Event{All: true})
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		v, err := version(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if v != last {
			last = v
			emit(resolver.Event{All: true})
		}
	}
}

// pollWrites is the change source of an in-memory SQLite database: only
// this store can write it.
func (s *Store) pollWrites(ctx context.Context, emit func(resolver.Event)) error {
	return poll(ctx, s.sqlitePoll, emit, func(context.Context) (string, error) {
		return strconv.FormatUint(s.writes.Load(), 10), nil
	})
}

// pollDataVersion polls PRAGMA data_version on a connection of its own: the
// value changes when another connection commits (the store's own writes go
// through the pool's other connections). A missing database file is
// waited for.
func (s *Store) pollDataVersion(ctx context.Context, emit func(resolver.Event)) error {
	db, err := s.pool(ctx)
	if errors.Is(err, errNoDatabase) {
		emit(resolver.Event{All: true}) // nothing there: nothing cached is stale
		tick := time.NewTicker(s.sqlitePoll)
		defer tick.Stop()
		for errors.Is(err, errNoDatabase) {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
			db, err = s.pool(ctx)
		}
	}
	if err != nil {
		return err
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("metastore: change events: taking a connection: %w", err)
	}
	defer c.Close()
	return poll(ctx, s.sqlitePoll, emit, func(ctx context.Context) (string, error) {
		var v int64
		if err := c.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
			return "", fmt.Errorf("metastore: change events: reading PRAGMA data_version: %w", err)
		}
		return strconv.FormatInt(v, 10), nil
	})
}

// pollChecksum polls CHECKSUM TABLE, which reads both tables whole on the
// server (it sends back one number per table). A missing table's checksum
// is NULL, so the tables' creation is a change too.
func (s *Store) pollChecksum(ctx context.Context, emit func(resolver.Event)) error {
	db, err := s.pool(ctx)
	if err != nil {
		return err
	}
	return poll(ctx, s.tablePoll, emit, func(ctx context.Context) (string, error) {
		return checksumTables(ctx, db)
	})
}

// checksumTables returns CHECKSUM TABLE connection, variable as one string.
func checksumTables(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, "CHECKSUM TABLE connection, variable")
	if err != nil {
		return "", fmt.Errorf("metastore: change events: CHECKSUM TABLE: %w", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var table string
		var sum sql.NullInt64
		if err := rows.Scan(&table, &sum); err != nil {
			return "", fmt.Errorf("metastore: change events: CHECKSUM TABLE: %w", err)
		}
		fmt.Fprintf(&b, "%s=%d,%t;", table, sum.Int64, sum.Valid)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("metastore: change events: CHECKSUM TABLE: %w", err)
	}
	return b.String(), nil
}
