// Package database opens Lectern's database (SQLite or PostgreSQL), applies
// its versioned migrations, and records the statements each request runs.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"  // PostgreSQL driver
	"modernc.org/sqlite" // SQLite driver, pure Go

	"lectern/ent"
	_ "lectern/ent/runtime" // schema defaults, validators, position order
	"lectern/ent/schema"
	"lectern/internal/cache"
	"lectern/internal/catalog"
	"lectern/internal/loader"
)

// maxPostgresConns is the size of the PostgreSQL connection pool.
const maxPostgresConns = 20

// Dialects Lectern runs on.
const (
	SQLite   = dialect.SQLite
	Postgres = dialect.Postgres
)

// DB is an open database with its ent clients.
type DB struct {
	SQL     *sql.DB
	Dialect string
	// Ent reads with the caller's eyes: the row rules filter every query
	// by the viewer in its context.
	Ent    *ent.Client
	system *ent.Client
	driver *countingDriver
}

// Open connects to url: "postgres://…" or "postgresql://…" for PostgreSQL;
// "sqlite:PATH" or "file:PATH" for SQLite. It pings the database and fails
// if it cannot be reached.
func Open(ctx context.Context, url string) (*DB, error) {
	dia, db, err := openSQL(url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open database: ping: %w", err)
	}
	return FromPool(dia, db), nil
}

// FromPool returns a DB over pool, an open connection pool to a database
// of the given dialect that already has Lectern's connection settings (see
// Open): the clients, the request transaction and the statement counting
// all go through it.
func FromPool(dia string, pool *sql.DB) *DB {
	drv := &countingDriver{Driver: entsql.OpenDB(dia, pool), watch: &atomic.Pointer[watcher]{}}
	always := func() bool { return true }
	return &DB{SQL: pool, Dialect: dia, Ent: newClient(drv, nil), system: newClient(drv, always), driver: drv}
}

// newClient is the one place ent clients are made, so none runs without
// the row rules: privileged nil gives a caller's client, otherwise a system
// client whose rules are off while privileged reports true. Every client
// also tells the request's loaders which courses it read
// (loader.Intercept), tags a cacheable response with the rows it read
// (cache.Intercept) and reads of a catalogue page only the lesson columns
// it shows (catalog.PruneLessons).
func newClient(drv dialect.Driver, privileged func() bool) *ent.Client {
	c := ent.NewClient(ent.Driver(drv))
	schema.Install(c, privileged)
	c.Course.Intercept(loader.Intercept())
	c.Intercept(cache.Intercept())
	c.Lesson.Intercept(catalog.PruneLessons())
	return c
}

// System returns a client that sees every row, for the work of the process
// itself, which no caller triggers (seeding, jobs, commands), and for the
// identity service, which reads accounts and credentials to decide who is
// calling. Never hand what it reads to a resolver that loads edges: use a
// transaction's System client for work done on a caller's behalf. Every
// use is listed, with its reason, in internal/access (privileged_test.go).
func (d *DB) System() *ent.Client { return d.system }

// Close closes the connection pool.
func (d *DB) Close() error { return d.Ent.Close() }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.SQL.PingContext(ctx) }

func openSQL(raw string) (string, *sql.DB, error) {
	// URL schemes are case-insensitive (RFC 3986).
	lower := strings.ToLower(raw)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		// lib/pq recognises URLs by a lowercase scheme only.
		_, rest, _ := strings.Cut(raw, "://")
		connector, err := pq.NewConnector(withSessionDefaults("postgres://" + rest))
		if err != nil {
			return "", nil, err
		}
		connector.Dialer(pgDialer{})
		db := sql.OpenDB(pgConnector{connector})
		// Sized for one process on a small machine; PostgreSQL's default
		// max_connections (100) leaves room for several instances. Every
		// open connection may stay idle: with fewer idle than open slots,
		// a burst of concurrent requests closes and reopens backends on
		// every release (a new PostgreSQL process each time), which cost
		// the course page most of its throughput. Idle ones still go after
		// ConnMaxIdleTime.
		db.SetMaxOpenConns(maxPostgresConns)
		db.SetMaxIdleConns(maxPostgresConns)
		db.SetConnMaxIdleTime(5 * time.Minute)
		db.SetConnMaxLifetime(30 * time.Minute)
		return Postgres, db, nil
	case strings.HasPrefix(lower, "sqlite:"), strings.HasPrefix(lower, "file:"):
		_, path, _ := strings.Cut(raw, ":")
		if path == "" {
			return "", nil, errors.New("empty SQLite path")
		}
		connector, err := sqlite.NewConnector(SQLiteDSN(path))
		if err != nil {
			return "", nil, err
		}
		db := sql.OpenDB(sqliteConnector{connector})
		// WAL lets readers run beside the single writer; a handful of
		// connections is all SQLite can use.
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(4)
		return SQLite, db, nil
	}
	return "", nil, errors.New("unsupported database URL scheme")
}

// SQLiteDSN turns a path into a modernc.org/sqlite DSN with the settings
// Lectern relies on: foreign keys enforced, WAL, a busy timeout instead of
// immediate SQLITE_BUSY, and transactions that take the write lock up front
// so two writers never deadlock upgrading a read lock. SQLite compares
// times as text, so every time is written in UTC in one fixed format
// ("2006-01-02 15:04:05.999999999-07:00"), whose text order is time order;
// the driver's default (time.String, in the value's own zone) is not.
//
// The file is read with read(2), not through a memory map (mmap_size).
// A map sped up the benchmark's reads by 10-35%, as pages from it skip
// the page cache this SQLite build shares between connections behind one
// lock; but after any write, each other connection drops and remaps the
// file at its next read and faults its pages in again, and 20 learners
// completing lessons were served 25-45% fewer requests a second, with a
// p99 of 130-250 ms rather than 70-120 ms.
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Add("_time_format", "sqlite")
	q.Add("_timezone", "UTC")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_txlock", "immediate")
	if path != ":memory:" {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	return "file:" + path + "?" + q.Encode()
}

// InTx runs fn inside an ent transaction on client, committing when fn
// returns nil and rolling back otherwise (also on panic, which it
// re-raises). Use DB.Transact instead when the work also enqueues jobs.
func InTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	return settle(tx, func() error { return fn(tx) })
}

// settle runs fn in the open transaction tx and then commits or rolls
// back: commit when fn returns nil, roll back on an error or a panic (which
// it re-raises).
func settle(tx interface {
	Commit() error
	Rollback() error
}, fn func() error) error {
	defer func() {
		if v := recover(); v != nil {
			_ = tx.Rollback()
			panic(v)
		}
	}()
	if err := fn(); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (rollback: %v)", err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// Analyze refreshes the query planner's statistics. Run it after a bulk
// load: until autovacuum (PostgreSQL) or an optimize (SQLite) notices the
// new rows, the planner takes the tables for empty and picks plans that
// answer nested pages at a tenth of their speed. On PostgreSQL it vacuums
// as well, marking the new rows visible to all, without which an index
// that covers a read (a course outline's lessons) still visits the table
// for every row. On SQLite it keeps the rows per key and drops the value
// samples (see dropValueSamples).
func (d *DB) Analyze(ctx context.Context) error {
	stmt := "ANALYZE"
	if d.Dialect == Postgres {
		stmt = "VACUUM (ANALYZE)"
	}
	if _, err := d.SQL.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return d.dropValueSamples(ctx)
}

// dropValueSamples removes the value samples SQLite's ANALYZE takes beside
// its rows-per-key counts (sqlite_stat1): the table sqlite_stat4, which the
// modernc build writes (it is compiled with SQLITE_ENABLE_STAT4). A
// statement whose plan consulted those samples for a bound parameter (an
// IN list of parent keys) is compiled again whenever a value is bound to
// it, so the statements each connection keeps compiled (sqlitestmts.go)
// were compiled anew at every run: on the benchmark's catalogue page the
// parser was 8.5% of the CPU. The counts alone choose the same index
// lookups for Lectern's reads. Dropping the table, rather than emptying
// it, changes the schema, so every connection reloads the statistics. A
// database analysed by hand loses its samples at the next migration.
func (d *DB) dropValueSamples(ctx context.Context) error {
	if d.Dialect != SQLite {
		return nil
	}
	if _, err := d.SQL.ExecContext(ctx, "DROP TABLE IF EXISTS sqlite_stat4"); err != nil {
		return fmt.Errorf("analyze: drop the value samples: %w", err)
	}
	return nil
}
