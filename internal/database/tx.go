package database

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"lectern/ent"
)

// Tx is one database transaction seen two ways: through ent, for the
// business write, and as the *sql.Tx that the job queue inserts with, so a
// job is committed exactly when the write that caused it is, and a
// rolled-back write leaves no job behind.
type Tx struct {
	// Client is an ent client bound to the transaction; writes that would
	// open a transaction of their own join this one instead.
	*ent.Client
	// SQL is the same transaction for code that needs database/sql.
	SQL *sql.Tx

	drv    *openTxDriver
	system *ent.Client
}

// System returns the transaction seen by the system: every row, for the
// reads a rule needs that the caller may not make themselves (a course's
// staff while deciding whether the caller is on it, another learner's
// counters). The privilege ends with the transaction: rows read through it
// and returned to a resolver load their edges with the caller's rights.
// Every use is listed, with its reason, in internal/access
// (privileged_test.go).
func (tx *Tx) System() *ent.Client {
	if tx.system == nil {
		tx.system = newClient(tx.drv, func() bool { return !tx.drv.ended.Load() })
	}
	return tx.system
}

// Transact runs fn in one transaction, committing when fn returns nil and
// rolling back otherwise (also on panic, which it re-raises). Statements
// are recorded in ctx's StatementLog like any other. ent's not-found and
// constraint errors leave it coded (see Coded).
func (d *DB) Transact(ctx context.Context, fn func(tx *Tx) error) error {
	if rt := requestTxFrom(ctx); rt != nil {
		return d.transactIn(ctx, rt, fn)
	}
	sqlTx, err := d.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	drv := &openTxDriver{countingDriver: countingDriver{Driver: entsql.NewDriver(d.Dialect, entsql.Conn{ExecQuerier: sqlTx}),
		watch: d.driver.watch, changes: fromContext(ctx)}, after: d.driver}
	tx := &Tx{Client: newClient(drv, nil), SQL: sqlTx, drv: drv}
	defer drv.ended.Store(true)
	if err := settle(sqlTx, func() error { return fn(tx) }); err != nil {
		return Coded(err)
	}
	d.driver.watch.Load().publish(ctx, drv.changes)
	return nil
}

// transactIn is Transact inside a RequestTx: fn runs in a savepoint, which
// it releases or rolls back to as Transact would commit or roll back, and
// what it wrote is reported when the request commits.
func (d *DB) transactIn(ctx context.Context, rt *RequestTx, fn func(tx *Tx) error) error {
	rt.mu.Lock()
	sp, err := rt.savepoint(ctx)
	rt.mu.Unlock()
	if err != nil {
		return err
	}
	drv := &openTxDriver{countingDriver: countingDriver{Driver: entsql.NewDriver(d.Dialect, rt.conn()),
		watch: d.driver.watch, changes: fromContext(ctx)}, after: d.driver}
	tx := &Tx{Client: newClient(drv, nil), SQL: rt.tx, drv: drv}
	defer drv.ended.Store(true)
	err = settle(savepointSettler{sp}, func() error { return fn(tx) })
	if err != nil {
		return Coded(err)
	}
	rt.committed(drv.changes)
	return nil
}

// savepointSettler ends a savepoint the way settle ends a transaction.
type savepointSettler struct{ sp *savepoint }

func (s savepointSettler) Commit() error   { return s.sp.close(nil) }
func (s savepointSettler) Rollback() error { return s.sp.close(errRolledBack) }

// openTxDriver is a driver over a transaction that is already open. ent
// begins a transaction of its own for some writes (updates through
// UpdateOne, for one); here that must join the open one, whose commit or
// rollback is Transact's to decide.
//
// Entities read or written in the transaction keep its driver, and a
// resolver may load their edges after Transact returned: once the
// transaction has ended, statements go to the database (after) instead of
// failing on a closed transaction.
type openTxDriver struct {
	countingDriver
	after *countingDriver
	ended atomic.Bool
}

func (d *openTxDriver) Exec(ctx context.Context, query string, args, v any) error {
	if d.ended.Load() {
		return d.after.Exec(ctx, query, args, v)
	}
	return d.countingDriver.Exec(ctx, query, args, v)
}

func (d *openTxDriver) Query(ctx context.Context, query string, args, v any) error {
	if d.ended.Load() {
		return d.after.Query(ctx, query, args, v)
	}
	return d.countingDriver.Query(ctx, query, args, v)
}

func (d *openTxDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	return d.BeginTx(ctx, nil)
}

func (d *openTxDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	if d.ended.Load() {
		return d.after.BeginTx(ctx, opts)
	}
	return dialect.NopTx(&d.countingDriver), nil
}
