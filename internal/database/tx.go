package database

import (
	"context"
	"database/sql"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"lectern/ent"
)

// Tx is one database transaction seen two ways: through ent, for the
// business write, and as the *sql.Tx that the job queue inserts with, so a
// job is committed exactly when the write that caused it is, and a
// rolled-back write leaves no job behind.
type Tx struct {
	// Client is an ent client bound to the transaction (its Tx method is
	// unusable: the transaction is already open).
	*ent.Client
	// SQL is the same transaction for code that needs database/sql.
	SQL *sql.Tx
}

// Transact runs fn in one transaction, committing when fn returns nil and
// rolling back otherwise (also on panic, which it re-raises). Statements
// are recorded in ctx's StatementLog like any other.
func (d *DB) Transact(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := d.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	drv := &countingDriver{Driver: entsql.NewDriver(d.Dialect, entsql.Conn{ExecQuerier: sqlTx})}
	tx := &Tx{Client: ent.NewClient(ent.Driver(drv)), SQL: sqlTx}
	return settle(sqlTx, func() error { return fn(tx) })
}
