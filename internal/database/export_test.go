package database

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"
)

// NewMigration returns a migration made of stmts, so tests can put the
// runner to work on migrations that are not embedded.
func NewMigration(version, name string, stmts ...string) Migration {
	return Migration{Version: version, Name: name, stmts: stmts}
}

// ApplyMigration runs m the way Migrate runs each pending migration, on one
// connection of the pool, and reports whether it ran. It lets a test stop
// part-way through the embedded migrations, as a database deployed with an
// older release is. It returns apply's error, or the error creating the
// revision table.
func (d *DB) ApplyMigration(ctx context.Context, m Migration) (bool, error) {
	conn, err := d.SQL.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("apply %s: %w", m.Name, err)
	}
	defer conn.Close()
	// The same table Migrate creates; Migrate's own CREATE is then a no-op.
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+revisionTable+
		` (version VARCHAR(32) PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return false, fmt.Errorf("apply %s: revision table: %w", m.Name, err)
	}
	return apply(ctx, conn, d.Dialect, m)
}

// WrittenTable exposes writtenTable to tests.
var WrittenTable = writtenTable

// OpenRows runs query through the database's own driver, as ent runs a
// query outside a transaction, and hands back its rows still open.
func (d *DB) OpenRows(ctx context.Context, query string, args ...any) (*entsql.Rows, error) {
	var rows entsql.Rows
	if err := d.driver.Query(ctx, query, args, &rows); err != nil {
		return nil, err
	}
	return &rows, nil
}
