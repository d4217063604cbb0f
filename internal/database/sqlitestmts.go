package database

import (
	"context"
	"database/sql/driver"
	"reflect"
	"strings"
)

// SQLite compiles a statement's text into a program before running it,
// and modernc.org/sqlite did so at every query: a tenth of the server's
// CPU on the catalogue and nested pages. Each connection here keeps the
// programs of the statements it has run (sqliteStmtCacheSize of them,
// least recently used first out) and runs them again with new
// parameters. A program follows schema changes by itself (SQLite compiles
// it again when a migration changed a table under it).
//
// A program runs one query at a time. Should a connection's caller open
// the same statement again while its rows are still open (two cursors in
// one transaction), the second runs as an uncached query of its own.
// Texts of several statements are never cached, nor statements without
// parameters other than a SELECT (savepoints, schema changes).

// sqliteStmtCacheSize bounds the programs each connection keeps. Each is a
// few kilobytes; IN lists of different lengths are different texts.
const sqliteStmtCacheSize = 64

// sqliteConnector opens modernc.org/sqlite connections that keep their
// statements compiled.
type sqliteConnector struct{ driver.Connector }

func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(sqliteDriverConn)
	if !ok {
		return conn, nil // a driver without these interfaces: use it as it is
	}
	return &sqliteConn{sqliteDriverConn: sc, stmts: newStmtCache(sc, sqliteStmtCacheSize)}, nil
}

// sqliteDriverConn is what modernc.org/sqlite's connections implement and
// database/sql uses; lib/pq's implement these too (pqConn).
type sqliteDriverConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// sqliteConn is one SQLite connection with its compiled statements.
type sqliteConn struct {
	sqliteDriverConn
	stmts stmtCache
}

// cachedStmt returns query's cached statement, or nil when query is run
// uncached: a text of several statements, or one whose rows are open, or
// a statement that takes no parameters and is not a SELECT (a savepoint
// named anew in every transaction would only push out statements that
// come again). These are the texts PostgreSQL's cache keeps too.
func (c *sqliteConn) cachedStmt(ctx context.Context, query string, args []driver.NamedValue) (*cached, error) {
	if strings.Contains(query, ";") || len(args) == 0 && !singleSelect(query) {
		return nil, nil
	}
	e, err := c.stmts.entry(ctx, query)
	if err != nil || e.busy {
		return nil, err
	}
	return e, nil
}

func (c *sqliteConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	e, err := c.cachedStmt(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return c.sqliteDriverConn.QueryContext(ctx, query, args)
	}
	rows, err := e.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	e.busy = true
	return &sqliteRows{Rows: rows, stmt: e}, nil
}

func (c *sqliteConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, err := c.cachedStmt(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return c.sqliteDriverConn.ExecContext(ctx, query, args)
	}
	return e.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// Close closes the connection and the statements it keeps.
func (c *sqliteConn) Close() error {
	c.stmts.closeAll()
	return c.sqliteDriverConn.Close()
}

// sqliteRows are the rows of a cached statement: closing them frees the
// statement for its next run, or closes it when the cache has let it go
// meanwhile. The column type methods database/sql asks for (ent scans
// columns it does not know by their type) are the driver's.
type sqliteRows struct {
	driver.Rows
	stmt   *cached
	closed bool
}

func (r *sqliteRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.Rows.Close()
	r.stmt.busy = false
	if r.stmt.evicted {
		_ = r.stmt.stmt.Close()
	}
	return err
}

func (r *sqliteRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *sqliteRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *sqliteRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *sqliteRows) ColumnTypeLength(i int) (length int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *sqliteRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}
