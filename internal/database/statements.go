package database

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// StatementLog collects the SQL statements run for one request, so tests can
// assert how many a query costs and developers can see them (dev responses
// carry them in extensions.debug). Arguments are never recorded: they may
// hold secrets.
type StatementLog struct {
	mu    sync.Mutex
	stmts []string
}

// Statements returns a copy of the statements recorded so far.
func (l *StatementLog) Statements() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.stmts...)
}

func (l *StatementLog) add(q string) {
	l.mu.Lock()
	l.stmts = append(l.stmts, q)
	l.mu.Unlock()
}

type logKey struct{}

// statementsRun counts every statement the process has run, for the
// diagnostics listener (DEBUG_ADDR) to report per request.
var statementsRun atomic.Int64

// StatementsRun returns how many statements the process has run so far.
func StatementsRun() int64 { return statementsRun.Load() }

// WithStatementLog returns a context whose database statements are recorded
// in the returned log.
func WithStatementLog(ctx context.Context) (context.Context, *StatementLog) {
	l := &StatementLog{}
	return context.WithValue(ctx, logKey{}, l), l
}

func record(ctx context.Context, query string) {
	statementsRun.Add(1)
	if l, ok := ctx.Value(logKey{}).(*StatementLog); ok {
		l.add(query)
	}
}

// countingDriver records every statement in the context's StatementLog
// and reports writes to watched tables (DB.Watch): inside Transact to the
// transaction's change set (changes), otherwise once the write committed.
type countingDriver struct {
	*entsql.Driver
	watch   *atomic.Pointer[watcher]
	changes *changeSet
}

func (d *countingDriver) Exec(ctx context.Context, query string, args, v any) error {
	record(ctx, query)
	var err error
	if rt := d.request(ctx); rt != nil {
		err = rt.exec(ctx, query, args, v)
	} else {
		err = d.Driver.Exec(ctx, query, args, v)
	}
	d.wrote(ctx, query, err)
	return err
}

func (d *countingDriver) Query(ctx context.Context, query string, args, v any) error {
	record(ctx, query)
	if rt := d.request(ctx); rt != nil {
		err := rt.query(ctx, query, args, v)
		d.wrote(ctx, query, err) // INSERT … RETURNING is a query
		return err
	}
	if err := d.Driver.Query(ctx, query, args, v); err != nil {
		return err
	}
	rows := describeOnce(v)
	// A write on its own (… RETURNING) commits once its rows are done
	// with: SQLite ends the statement's transaction when it is reset, and
	// PostgreSQL's answer ends only after the commit. Report it then, so
	// a reader cannot refill the cache with the old row in between.
	if _, watched := d.watch.Load().watched(query); watched && rows != nil && d.changes == nil {
		rows.then = func(error) error {
			d.wrote(ctx, query, nil)
			return nil
		}
		return nil
	}
	d.wrote(ctx, query, nil)
	return nil
}

// describedRows are a query's rows that describe their columns once. For
// every row with a column it does not know (one of a joined table, such as
// the staff loader's membership columns), ent asks for the types of all
// columns again, and database/sql builds them anew from the driver each
// time: 102 times for the catalogue page's staff. Their then, when set,
// runs once after they close, told the rows' error; what it returns is
// Close's error when Close had none.
type describedRows struct {
	entsql.ColumnScanner
	types     []*sql.ColumnType
	err       error
	described bool
	once      sync.Once
	then      func(failed error) error
}

// describeOnce wraps the rows a query left in v, and returns them.
func describeOnce(v any) *describedRows {
	rows, ok := v.(*entsql.Rows)
	if !ok || rows.ColumnScanner == nil {
		return nil
	}
	d := &describedRows{ColumnScanner: rows.ColumnScanner}
	rows.ColumnScanner = d
	return d
}

func (r *describedRows) ColumnTypes() ([]*sql.ColumnType, error) {
	if !r.described {
		r.types, r.err = r.ColumnScanner.ColumnTypes()
		r.described = true
	}
	return r.types, r.err
}

// NextResultSet moves to a result set that may have other columns.
func (r *describedRows) NextResultSet() bool {
	r.described = false
	return r.ColumnScanner.NextResultSet()
}

func (r *describedRows) Close() error {
	err := r.ColumnScanner.Close()
	if r.then != nil {
		r.once.Do(func() {
			if terr := r.then(r.ColumnScanner.Err()); err == nil {
				err = terr
			}
		})
	}
	return err
}

// request returns the RequestTx a statement of the database's own driver
// joins; a transaction's driver (changes set) is already inside one.
func (d *countingDriver) request(ctx context.Context) *RequestTx {
	if d.changes != nil {
		return nil
	}
	return requestTxFrom(ctx)
}

// wrote notes a successful statement that wrote a watched table: in the
// open transaction's change set, or (a statement on its own, which has
// committed) straight to the watcher.
func (d *countingDriver) wrote(ctx context.Context, query string, err error) {
	if err != nil {
		return
	}
	w := d.watch.Load()
	table, ok := w.watched(query)
	if !ok {
		return
	}
	if d.changes != nil {
		d.changes.wrote(table)
		return
	}
	c := fromContext(ctx)
	c.wrote(table)
	if rt := requestTxFrom(ctx); rt != nil {
		rt.committed(c)
		return
	}
	w.publish(ctx, c)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	return d.BeginTx(ctx, nil)
}

// BeginTx starts a transaction whose statements are recorded too.
func (d *countingDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	if rt := d.request(ctx); rt != nil {
		return rt.beginTx(ctx, d.watch)
	}
	tx, err := d.Driver.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, ctx: ctx, watch: d.watch, changes: fromContext(ctx)}, nil
}

// countingTx records the statements of a transaction in the log of the
// context that began it, and reports its writes to watched tables when it
// commits.
type countingTx struct {
	dialect.Tx
	ctx     context.Context
	watch   *atomic.Pointer[watcher]
	changes *changeSet
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	record(t.ctx, query)
	err := t.Tx.Exec(ctx, query, args, v)
	t.wrote(query, err)
	return err
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	record(t.ctx, query)
	err := t.Tx.Query(ctx, query, args, v)
	if err == nil {
		describeOnce(v)
	}
	t.wrote(query, err)
	return err
}

func (t *countingTx) wrote(query string, err error) {
	if err != nil {
		return
	}
	if table, ok := t.watch.Load().watched(query); ok {
		t.changes.wrote(table)
	}
}

// Commit commits and then reports what the transaction wrote.
func (t *countingTx) Commit() error {
	if err := t.Tx.Commit(); err != nil {
		return err
	}
	t.watch.Load().publish(t.ctx, t.changes)
	return nil
}

// StatementsFrom returns the statements recorded in ctx's log, or nil when
// ctx has none.
func StatementsFrom(ctx context.Context) []string {
	if l, ok := ctx.Value(logKey{}).(*StatementLog); ok {
		return l.Statements()
	}
	return nil
}

// ExecContext runs a raw statement (ent's ExecContext), recorded like the rest.
func (d *countingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	record(ctx, query)
	var res sql.Result
	var err error
	if rt := d.request(ctx); rt != nil {
		err = rt.exec(ctx, query, args, &res)
	} else {
		res, err = d.Driver.ExecContext(ctx, query, args...)
	}
	d.wrote(ctx, query, err)
	return res, err
}

// ExecContext runs a raw statement inside the transaction.
func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	record(t.ctx, query)
	e, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errors.New("transaction does not support ExecContext")
	}
	res, err := e.ExecContext(ctx, query, args...)
	t.wrote(query, err)
	return res, err
}
