package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"net/url"
	"strings"

	"github.com/lib/pq"
)

// lib/pq runs a query with parameters in two round trips to PostgreSQL:
// it parses and describes the statement, waits for the answer, then binds
// and executes it. A course page is three statements, so it waited six
// times. Each pooled connection here keeps the statements it has run
// prepared (a bounded cache, least recently used first out): the first
// run of a statement on a connection costs what it did, every later one a
// single round trip (bind and execute).
//
// lib/pq's binary_parameters option would give one round trip too, but it
// sends every []byte argument in binary, and ent passes JSON values (the
// jsonb columns) as []byte, which PostgreSQL then refuses.
//
// A prepared statement is run with a generic plan, made once for any
// parameter values, once PostgreSQL has seen that it costs no more than
// plans made for each run's values; each run then skips planning, which
// was half of the database's time on a course page. The row rules write
// their constants (the PUBLISHED status) into the statement's text rather
// than passing them as parameters (ent/schema/visibility.go), so a generic
// plan sees them: with the status as a parameter, the generic plan for a
// page's lessons was five times slower than a plan for its values.

// Lectern's sessions plan for data that is read from memory or SSD:
// random_page_cost 1.1 rather than PostgreSQL's default of 4, which prices
// an index lookup for spinning disks. At 4, joining a catalogue page's
// memberships to their users hashed the whole users table (8,200 rows)
// rather than looking up 80 of them by key: 600 against 4,000 runs a
// second on this query, measured with pgbench on the benchmark's data.
//
// Results of prepared statements come as text (lib/pq's
// disable_prepared_binary_result), as those of any other query do. In
// binary, lib/pq turns each UUID into a new 36-byte text of its own, which
// the UUID type then copies again to parse: on the nested page, 1,100 of
// its 15,800 allocations a request.
//
// A database URL that sets either keeps its own value.
var sessionDefaults = map[string]string{"random_page_cost": "1.1", "disable_prepared_binary_result": "yes"}

// withSessionDefaults adds sessionDefaults to a PostgreSQL URL that does
// not set them (lib/pq keeps the options it knows and sends the others to
// the server as settings of the session).
func withSessionDefaults(pgURL string) string {
	u, err := url.Parse(pgURL)
	if err != nil {
		return pgURL // pq.NewConnector reports it
	}
	q := u.Query()
	for name, value := range sessionDefaults {
		if !q.Has(name) {
			q.Set(name, value)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// stmtCacheSize bounds the statements each connection keeps prepared.
// ent writes IN lists with one placeholder per value, so lists of
// different lengths are different statements; the bound keeps a
// long-lived connection from preparing without end.
const stmtCacheSize = 200

// pgConnector opens lib/pq connections that keep their statements
// prepared.
type pgConnector struct{ *pq.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newStmtConn(conn), nil
}

// pqConn is what lib/pq's connections implement and database/sql uses.
type pqConn interface {
	sqliteDriverConn
	driver.NamedValueChecker
}

// stmtConn is one lib/pq connection with its prepared statements.
// database/sql uses a connection from one goroutine at a time, so it needs
// no lock.
type stmtConn struct {
	pqConn
	stmts stmtCache
}

func newStmtConn(c driver.Conn) driver.Conn {
	pc, ok := c.(pqConn)
	if !ok {
		return c // a lib/pq without these interfaces: use it as it is
	}
	return &stmtConn{pqConn: pc, stmts: newStmtCache(pc, stmtCacheSize)}
}

// QueryContext runs query as a prepared statement. A query without
// arguments takes one round trip either way, but lib/pq's simple protocol
// parses and plans it at every run (a catalogue page's first statement
// has its page size written in), so a single SELECT is prepared too.
func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 && !singleSelect(query) {
		return c.pqConn.QueryContext(ctx, query, args)
	}
	st, err := c.stmts.get(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		c.forgetIfStale(query, err)
	}
	return rows, err
}

// singleSelect reports whether query is one SELECT, which can be prepared
// (a text of several statements cannot).
func singleSelect(query string) bool {
	return len(query) > 7 && strings.EqualFold(query[:7], "SELECT ") && !strings.Contains(query, ";")
}

// ExecContext runs query as a prepared statement when it has arguments.
func (c *stmtConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 {
		return c.pqConn.ExecContext(ctx, query, args)
	}
	st, err := c.stmts.get(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := st.(driver.StmtExecContext).ExecContext(ctx, args)
	if err != nil {
		c.forgetIfStale(query, err)
	}
	return res, err
}

// forgetIfStale drops a statement PostgreSQL will not run any more: its
// plan no longer fits the tables (a migration changed them under it, as
// during a rolling upgrade). The next run prepares it again. The failed
// call still fails; database/sql does not retry it.
func (c *stmtConn) forgetIfStale(query string, err error) {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "0A000" { // feature_not_supported: "cached plan must not change result type"
		return
	}
	c.stmts.forget(query)
}

// Close closes the connection; its prepared statements go with it.
func (c *stmtConn) Close() error { return c.pqConn.Close() }
