package metastore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/secretpath/secretpath/resolver"
)

var _ resolver.BatchBackend = (*Store)(nil)

// batchChunk is the most ids one batch query looks up; it binds at most
// 512 (see lookupChunk), plus the team. That stays far below every
// database's limit on bind parameters: SQLite's 32,766 (999 before 3.32),
// PostgreSQL's 65,535 and MySQL's and MariaDB's 65,535, and keeps each
// query's text a few kilobytes.
const batchChunk = 500

// LookupBatch answers reqs (one kind, one team) with one query per kind
// and 500 ids, each answer what a single lookup of the request answers:
// connections as Connection returns them (Answer.Fields), variables as
// Lookup does, configs not found. Ids compare as the single lookup's
// query compares them, so do team names; a row that cannot be decrypted
// fails its id only. A query that fails fails the ids it was for. An id
// that is not valid UTF-8 or holds a NUL byte (which PostgreSQL cannot
// bind) is looked up alone, with its own query.
func (s *Store) LookupBatch(ctx context.Context, reqs []resolver.Request, answers []resolver.Answer) {
	if len(reqs) == 0 {
		return
	}
	kind := reqs[0].Kind
	conn := kind == resolver.KindConnection || kind == 0 // as Connection takes it
	if !conn && kind != resolver.KindVariable {
		for i, req := range reqs {
			_, err := s.Lookup(ctx, req) // not found, without a query
			answers[i] = resolver.Answer{Err: err}
		}
		return
	}
	reqs, answers, done := s.lookupUnbindable(ctx, conn, reqs, answers)
	defer done()
	if len(reqs) == 0 {
		return
	}
	notFound := errVarNotFound
	if conn {
		notFound = errConnNotFound
	}
	q, err := s.lookupConn(ctx, notFound, true)
	if err != nil {
		for i := range answers[:len(reqs)] {
			answers[i] = resolver.Answer{Err: err}
		}
		return
	}
	defer s.release(q)
	team := s.team(reqs[0])
	for start := 0; start < len(reqs); start += batchChunk {
		end := min(start+batchChunk, len(reqs))
		s.lookupChunk(ctx, q, conn, team, reqs[start:end], answers[start:end])
	}
}

// bindable reports whether id can be one of a batch query's bound ids:
// PostgreSQL rejects a text parameter that is not valid UTF-8 or holds a
// NUL byte (SQLSTATE 22021), failing the whole query, and so the other
// ids of its chunk with it.
func bindable(id string) bool {
	return utf8.ValidString(id) && !strings.ContainsRune(id, 0)
}

// lookupUnbindable answers each request whose id is not bindable with a
// single lookup (on every dialect, so that it gets exactly the single
// lookup's answer), and returns the other requests and their answers for
// the batch query. Call done once those are answered: it copies their
// answers into place.
func (s *Store) lookupUnbindable(ctx context.Context, conn bool, reqs []resolver.Request, answers []resolver.Answer) (rest []resolver.Request, restAnswers []resolver.Answer, done func()) {
	if !slices.ContainsFunc(reqs, func(r resolver.Request) bool { return !bindable(r.ID) }) {
		return reqs, answers[:len(reqs)], func() {}
	}
	var at []int // rest[j] is reqs[at[j]]
	for i, req := range reqs {
		switch {
		case bindable(req.ID):
			rest = append(rest, req)
			at = append(at, i)
		case conn:
			c, err := s.Connection(ctx, req)
			answers[i] = resolver.Answer{Conn: c, Fields: err == nil, Err: err}
		default:
			v, err := s.Lookup(ctx, req)
			answers[i] = resolver.Answer{Value: v, Err: err}
		}
	}
	restAnswers = make([]resolver.Answer, len(rest))
	return rest, restAnswers, func() {
		for j, i := range at {
			answers[i] = restAnswers[j]
		}
	}
}

// idKey is what an id compares as in the dialect's `conn_id = ?` and
// `key = ?`: the id itself, but on MySQL and MariaDB, whose _bin
// collations (Airflow's utf8mb3_bin, secretpath's utf8mb4_bin) are PAD
// SPACE, the id without its trailing spaces, so that "a " finds row "a"
// in a batch as it does alone.
func (d *dialect) idKey(id string) string {
	if d == dialectMySQL {
		return strings.TrimRight(id, " ")
	}
	return id
}

// lookupChunk answers at most batchChunk requests with one query.
func (s *Store) lookupChunk(ctx context.Context, q *queries, conn bool, team string, reqs []resolver.Request, answers []resolver.Answer) {
	d := s.t.d
	// The requests by the key their id compares as: two ids of one key
	// ("a" and "a " on MySQL) find the same row, and are bound once.
	byKey := make(map[string][]int, len(reqs))
	args := make([]any, 0, len(reqs)+1)
	for i, req := range reqs {
		k := d.idKey(req.ID)
		if _, seen := byKey[k]; !seen {
			args = append(args, req.ID)
		}
		byKey[k] = append(byKey[k], i)
	}
	query, column, what := "SELECT `key`, val, is_encrypted FROM variable WHERE `key` IN (", q.varTeams, "variables"
	notFound := errVarNotFound
	if conn {
		query, column, what = "SELECT conn_id, "+connColumns+" FROM connection WHERE conn_id IN (", q.connTeams, "connections"
		notFound = errConnNotFound
	}
	// The id list is padded (repeating an id) to a power of two, so that
	// the queries are of 10 shapes, not 500: pgx prepares and caches each
	// query text per connection, on the server.
	for n := len(args); len(args)&(len(args)-1) != 0; {
		args = append(args, args[n-1])
	}
	query += strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ") + ")" +
		d.teamWhere(column, team != "")
	if team != "" && column {
		args = append(args, team)
	}

	found := make([]bool, len(reqs))
	fail := func(err error) {
		err = s.queryError(ctx, fmt.Sprintf("looking up %d %s", len(reqs), what), err)
		for i := range reqs {
			if !found[i] {
				answers[i] = resolver.Answer{Err: err}
			}
		}
	}
	s.batchQueries.Add(1)
	rows, err := s.db.QueryContext(ctx, d.sql(query), args...)
	if err != nil {
		fail(err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var r connRow
		var val sql.NullString
		var enc sql.NullBool
		targets := []any{&r.connID, &val, &enc}
		if conn {
			targets = append([]any{&r.connID}, r.scanTargets()...)
		}
		if err := rows.Scan(targets...); err != nil {
			fail(err)
			return
		}
		// Rows come team first (teamWhere): a request keeps its first.
		for _, i := range byKey[d.idKey(r.connID)] {
			if found[i] {
				continue
			}
			found[i] = true
			id := reqs[i].ID // the single lookup answers with the id asked for
			if !conn {
				v, err := s.decodeVar(id, val, enc)
				answers[i] = resolver.Answer{Value: v, Err: err}
				continue
			}
			row := r
			row.connID = id
			c, err := s.decodeConn(&row)
			answers[i] = resolver.Answer{Conn: c, Fields: err == nil, Err: err}
		}
	}
	if err := rows.Err(); err != nil {
		fail(err)
		return
	}
	for i := range reqs {
		if !found[i] {
			answers[i] = resolver.Answer{Err: notFound}
		}
	}
}
