package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// RequestTx is one transaction holding everything a request writes: every
// statement run with its context, through ent or DB.Exec and DB.QueryRow,
// joins it, and Transact opens a savepoint in it instead of a transaction
// of its own. A request that must commit its effects together with a
// record of them (an idempotent mutation and its stored answer) runs in
// one; anything else never sees one.
//
// The request's resolvers may run concurrently, but a transaction is one
// connection: statements from outside a Transact take turns (a query holds
// the transaction until its rows are closed). On PostgreSQL, where a failed
// statement would abort the whole transaction, each such write runs in a
// savepoint of its own, so a failure (a unique key already taken) undoes
// that statement alone, as it would outside a RequestTx.
type RequestTx struct {
	db  *DB
	tx  *sql.Tx
	ctx context.Context

	mu    sync.Mutex // one statement (with its rows) at a time
	names atomic.Int64
	ended atomic.Bool

	pendingMu sync.Mutex
	pending   []*changeSet
}

type requestTxKey struct{}

// ErrRequestTxEnded is returned by Commit and Rollback on a RequestTx
// that has already ended.
var ErrRequestTxEnded = errors.New("request transaction already ended")

// BeginRequest begins a RequestTx and returns ctx carrying it. The caller
// must Commit or Rollback it. It fails when the database cannot begin a
// transaction or ctx already carries one.
func (d *DB) BeginRequest(ctx context.Context) (context.Context, *RequestTx, error) {
	if requestTxFrom(ctx) != nil {
		return nil, nil, errors.New("begin request transaction: one is already open")
	}
	tx, err := d.SQL.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("begin request transaction: %w", err)
	}
	rt := &RequestTx{db: d, tx: tx, ctx: context.WithoutCancel(ctx)}
	return context.WithValue(ctx, requestTxKey{}, rt), rt, nil
}

// requestTxFrom returns the open RequestTx ctx carries, or nil.
func requestTxFrom(ctx context.Context) *RequestTx {
	rt, _ := ctx.Value(requestTxKey{}).(*RequestTx)
	if rt == nil || rt.ended.Load() {
		return nil
	}
	return rt
}

// Commit commits the transaction, then reports what it wrote to the
// database's watchers (the cache) as the transactions it replaced would
// have, one change per Transact or statement.
func (rt *RequestTx) Commit() error {
	if !rt.ended.CompareAndSwap(false, true) {
		return ErrRequestTxEnded
	}
	rt.mu.Lock()
	err := rt.tx.Commit()
	rt.mu.Unlock()
	if err != nil {
		return fmt.Errorf("commit request transaction: %w", err)
	}
	rt.pendingMu.Lock()
	pending := rt.pending
	rt.pending = nil
	rt.pendingMu.Unlock()
	w := rt.db.driver.watch.Load()
	for _, c := range pending {
		w.publish(rt.ctx, c)
	}
	return nil
}

// Rollback undoes everything the request wrote.
func (rt *RequestTx) Rollback() error {
	if !rt.ended.CompareAndSwap(false, true) {
		return ErrRequestTxEnded
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.tx.Rollback()
}

// committed queues c to be reported once the request commits.
func (rt *RequestTx) committed(c *changeSet) {
	rt.pendingMu.Lock()
	rt.pending = append(rt.pending, c)
	rt.pendingMu.Unlock()
}

// savepoint is a named savepoint in a RequestTx.
type savepoint struct {
	rt   *RequestTx
	name string
}

// savepoint opens a savepoint; the caller holds rt.mu or has the
// transaction to itself (inside Transact).
func (rt *RequestTx) savepoint(ctx context.Context) (*savepoint, error) {
	name := "lectern_" + strconv.FormatInt(rt.names.Add(1), 10)
	if _, err := rt.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	return &savepoint{rt: rt, name: name}, nil
}

// close ends the savepoint, first rolling back to it when failed is not
// nil. It returns only an error of its own.
func (s *savepoint) close(failed error) error {
	// Ending must happen even when the request's context was cancelled:
	// the transaction outlives the statement.
	ctx := s.rt.ctx
	if failed != nil {
		if _, err := s.rt.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+s.name); err != nil {
			return fmt.Errorf("rollback to savepoint: %w", err)
		}
	}
	if _, err := s.rt.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+s.name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// guarded opens a savepoint for a standalone write on PostgreSQL (see
// RequestTx); elsewhere, and for reads, it returns nil.
func (rt *RequestTx) guarded(ctx context.Context, query string) (*savepoint, error) {
	if rt.db.Dialect != Postgres || writtenTable(query) == "" {
		return nil, nil
	}
	return rt.savepoint(ctx)
}

// settle closes sp (when there is one) after a statement that returned
// failed, and returns failed, or the savepoint's own error.
func settleSavepoint(sp *savepoint, failed error) error {
	if sp == nil {
		return failed
	}
	err := sp.close(failed)
	switch {
	case err == nil:
		return failed
	case failed != nil:
		return fmt.Errorf("%w (%v)", failed, err)
	}
	return err
}

func (rt *RequestTx) conn() entsql.Conn { return entsql.Conn{ExecQuerier: rt.tx} }

// exec runs a standalone statement in turn.
func (rt *RequestTx) exec(ctx context.Context, query string, args, v any) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	sp, err := rt.guarded(ctx, query)
	if err != nil {
		return err
	}
	return settleSavepoint(sp, rt.conn().Exec(ctx, query, args, v))
}

// query runs a standalone query in turn, keeping the transaction until
// its rows are closed.
func (rt *RequestTx) query(ctx context.Context, query string, args, v any) error {
	rt.mu.Lock()
	sp, err := rt.guarded(ctx, query)
	if err != nil {
		rt.mu.Unlock()
		return err
	}
	if err := rt.conn().Query(ctx, query, args, v); err != nil {
		err = settleSavepoint(sp, err)
		rt.mu.Unlock()
		return err
	}
	return rt.hold(v, sp)
}

// hold keeps the transaction for the rows a query returned in v until
// they are closed, then ends sp (when there is one) and hands it back.
func (rt *RequestTx) hold(v any, sp *savepoint) error {
	rows := describeOnce(v)
	if rows == nil {
		rt.mu.Unlock()
		return fmt.Errorf("query: unexpected rows type %T", v)
	}
	rows.then = func(failed error) error {
		defer rt.mu.Unlock()
		if sp == nil {
			return nil
		}
		return sp.close(failed)
	}
	return nil
}

// spTx is a transaction ent opens itself inside a RequestTx: a savepoint
// whose statements take turns with the request's others.
type spTx struct {
	rt      *RequestTx
	sp      *savepoint
	ctx     context.Context
	watch   *atomic.Pointer[watcher]
	changes *changeSet
}

// beginTx opens a savepoint standing for a transaction ent asked for.
func (rt *RequestTx) beginTx(ctx context.Context, watch *atomic.Pointer[watcher]) (dialect.Tx, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	sp, err := rt.savepoint(ctx)
	if err != nil {
		return nil, err
	}
	return &spTx{rt: rt, sp: sp, ctx: ctx, watch: watch, changes: fromContext(ctx)}, nil
}

func (t *spTx) Exec(ctx context.Context, query string, args, v any) error {
	record(t.ctx, query)
	t.rt.mu.Lock()
	err := t.rt.conn().Exec(ctx, query, args, v)
	t.rt.mu.Unlock()
	t.wrote(query, err)
	return err
}

func (t *spTx) Query(ctx context.Context, query string, args, v any) error {
	record(t.ctx, query)
	err := t.rt.queryIn(ctx, query, args, v)
	t.wrote(query, err)
	return err
}

// queryIn is query without a savepoint of its own.
func (rt *RequestTx) queryIn(ctx context.Context, query string, args, v any) error {
	rt.mu.Lock()
	if err := rt.conn().Query(ctx, query, args, v); err != nil {
		rt.mu.Unlock()
		return err
	}
	return rt.hold(v, nil)
}

func (t *spTx) wrote(query string, err error) {
	if err != nil {
		return
	}
	if table, ok := t.watch.Load().watched(query); ok {
		t.changes.wrote(table)
	}
}

func (t *spTx) Commit() error {
	t.rt.mu.Lock()
	err := t.sp.close(nil)
	t.rt.mu.Unlock()
	if err != nil {
		return err
	}
	t.rt.committed(t.changes)
	return nil
}

func (t *spTx) Rollback() error {
	t.rt.mu.Lock()
	defer t.rt.mu.Unlock()
	return t.sp.close(errRolledBack)
}

// errRolledBack makes a savepoint's close roll back to it.
var errRolledBack = errors.New("rolled back")

// Exec runs a statement that is not ent's (a counter, a lock) the way
// ent's own run: recorded in the request's StatementLog and the process's
// count, inside the context's RequestTx when it has one, and reported to
// the change watchers when it writes a watched table.
func (d *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := d.driver.Exec(ctx, query, args, &res)
	return res, err
}

// Spell returns query, written with PostgreSQL's numbered parameters ($1),
// as the database's dialect writes them: SQLite's are ?1, ?2. A
// statement's own text holds no other $.
func (d *DB) Spell(query string) string {
	if d.Dialect == SQLite {
		return strings.ReplaceAll(query, "$", "?")
	}
	return query
}

// Row is the result of QueryRow, read by Scan.
type Row struct {
	d     *DB
	ctx   context.Context
	query string
	args  []any
}

// QueryRow returns a query for at most one row, run by Scan as Exec runs
// its statement.
func (d *DB) QueryRow(ctx context.Context, query string, args ...any) *Row {
	return &Row{d: d, ctx: ctx, query: query, args: args}
}

// Scan runs the query and copies its first row into dest; like
// sql.Row.Scan, it returns sql.ErrNoRows when there is none.
func (r *Row) Scan(dest ...any) error {
	var rows entsql.Rows
	if err := r.d.driver.Query(r.ctx, r.query, r.args, &rows); err != nil {
		return err
	}
	scanErr := sql.ErrNoRows
	if rows.Next() {
		scanErr = rows.Scan(dest...)
	}
	if err := rows.Close(); err != nil && scanErr == nil {
		return err
	}
	if scanErr == sql.ErrNoRows && rows.Err() != nil {
		return rows.Err()
	}
	return scanErr
}
