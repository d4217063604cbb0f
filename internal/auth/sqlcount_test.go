package auth_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"lectern/internal/database"
)

// sqlLog records, for one context, every statement sent to the database
// through a counting pool: ent's, the throttle's raw ones, the job queue's
// inserts, and transaction control (BEGIN, COMMIT, ROLLBACK). Arguments are
// not kept. database.StatementLog sees only what goes through ent, which is
// not enough to tell whether two code paths cost the same.
type sqlLog struct {
	mu    sync.Mutex
	stmts []string
}

type sqlLogKey struct{}

// withSQLLog returns ctx recording into a new log.
func withSQLLog(ctx context.Context) (context.Context, *sqlLog) {
	l := &sqlLog{}
	return context.WithValue(ctx, sqlLogKey{}, l), l
}

func recordSQL(ctx context.Context, q string) {
	if l, ok := ctx.Value(sqlLogKey{}).(*sqlLog); ok {
		l.mu.Lock()
		l.stmts = append(l.stmts, strings.Join(strings.Fields(q), " "))
		l.mu.Unlock()
	}
}

// statements returns what was recorded so far.
func (l *sqlLog) statements() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.stmts...)
}

// countingDB returns db as seen through a second connection pool to the
// same database that records each statement in its context's sqlLog. The
// copy shares db's schema and rows; only the way in differs.
func countingDB(t testing.TB, db *database.DB) *database.DB {
	t.Helper()
	dsn := sameDatabaseDSN(t, db)
	pool := sql.OpenDB(&countingConnector{dsn: dsn, inner: db.SQL.Driver()})
	t.Cleanup(func() { _ = pool.Close() })
	if db.Dialect == database.SQLite {
		pool.SetMaxOpenConns(4)
	}
	return database.FromPool(db.Dialect, pool)
}

// sameDatabaseDSN returns a data source name for the database db is
// connected to, with the connection settings database.Open uses.
func sameDatabaseDSN(t testing.TB, db *database.DB) string {
	t.Helper()
	ctx := context.Background()
	if db.Dialect == database.Postgres {
		var name string
		if err := db.SQL.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(os.Getenv("TEST_DATABASE_URL"))
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		return u.String()
	}
	var seq int
	var name, path string
	if err := db.SQL.QueryRowContext(ctx, `PRAGMA database_list`).Scan(&seq, &name, &path); err != nil {
		t.Fatal(err)
	}
	return database.SQLiteDSN(path)
}

type countingConnector struct {
	dsn   string
	inner driver.Driver
}

func (c *countingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.inner.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn}, nil
}

func (c *countingConnector) Driver() driver.Driver { return c.inner }

// countingConn passes everything to the driver's connection, recording
// statements on the way. Both drivers Lectern uses implement the context
// interfaces; anything they lack is answered with driver.ErrSkip, which
// makes database/sql take its fallback.
type countingConn struct {
	driver.Conn
}

func (c *countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	recordSQL(ctx, q)
	return e.ExecContext(ctx, q, args)
}

func (c *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	e, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	recordSQL(ctx, q)
	return e.QueryContext(ctx, q, args)
}

func (c *countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	recordSQL(ctx, q)
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, q)
	}
	return c.Prepare(q)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := c.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, driver.ErrSkip
	}
	recordSQL(ctx, "BEGIN")
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, ctx: ctx}, nil
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *countingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// countingTx records the end of a transaction in the log of the context
// that began it.
type countingTx struct {
	driver.Tx
	ctx context.Context
}

func (t *countingTx) Commit() error {
	recordSQL(t.ctx, "COMMIT")
	return t.Tx.Commit()
}

func (t *countingTx) Rollback() error {
	recordSQL(t.ctx, "ROLLBACK")
	return t.Tx.Rollback()
}
