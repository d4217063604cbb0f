package database

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	atlas "ariga.io/atlas/sql/migrate"

	"lectern/ent/migrate/migrations"
)

// revisionTable records which migration versions have been applied.
const revisionTable = "lectern_schema_migrations"

// Migration is one versioned migration file.
type Migration struct {
	Version string // "20261124212101"
	Name    string // file name
	stmts   []string
}

// Migrations returns the embedded migrations for the dialect, oldest first.
// It fails if a file was edited after its checksum was recorded in atlas.sum.
func Migrations(dialect string) ([]Migration, error) {
	sub, err := fs.Sub(migrations.FS, migrationDir(dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	dir := &atlas.MemDir{}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		if err := dir.WriteFile(e.Name(), data); err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
	}
	if err := atlas.Validate(dir); err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", dialect, err)
	}
	files, err := dir.Files()
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	out := make([]Migration, 0, len(files))
	for _, f := range files {
		stmts, err := f.StmtDecls()
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", f.Name(), err)
		}
		m := Migration{Version: f.Version(), Name: f.Name()}
		for _, s := range stmts {
			m.stmts = append(m.stmts, s.Text)
		}
		out = append(out, m)
	}
	return out, nil
}

// migrationDir names the directory of a dialect's migrations.
func migrationDir(dialect string) string {
	if dialect == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the versions it applied. Concurrent processes are serialised: by an
// advisory lock on PostgreSQL, by SQLite's write lock on SQLite.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	all, err := Migrations(d.Dialect)
	if err != nil {
		return nil, err
	}
	conn, err := d.SQL.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if d.Dialect == Postgres {
		// Any fixed key will do; it only has to be the same in every process.
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7316002)"); err != nil {
			return nil, fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7316002)")
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+revisionTable+
		` (version VARCHAR(32) PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return nil, fmt.Errorf("migrate: revision table: %w", err)
	}
	var applied []string
	for _, m := range all {
		done, err := apply(ctx, conn, d.Dialect, m)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, m.Version)
		}
	}
	return applied, d.dropValueSamples(ctx)
}

// apply runs m in a transaction unless it is already recorded, and reports
// whether it ran. The check is inside the transaction: on SQLite that
// transaction holds the write lock (BEGIN IMMEDIATE), so two processes can
// never both decide to apply the same version.
func apply(ctx context.Context, conn *sql.Conn, dialect string, m Migration) (bool, error) {
	if dialect == SQLite {
		// SQLite changes a table by rebuilding it (create, copy, drop,
		// rename). Dropping a table that others reference would run their
		// ON DELETE actions, so foreign keys are off for the migration (the
		// pragma is ignored inside a transaction) and checked before commit.
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			return false, fmt.Errorf("migrate %s: %w", m.Name, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON") //nolint:errcheck // the connection is closed right after
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate %s: %w", m.Name, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	var n int
	if err := tx.QueryRowContext(ctx, rebind(dialect, `SELECT COUNT(*) FROM `+revisionTable+` WHERE version = ?`), m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("migrate: read revisions: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	for i, stmt := range m.stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("migrate %s: statement %d: %w", m.Name, i+1, err)
		}
	}
	if dialect == SQLite {
		if err := foreignKeyCheck(ctx, tx); err != nil {
			return false, fmt.Errorf("migrate %s: %w", m.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, rebind(dialect, `INSERT INTO `+revisionTable+` (version, name) VALUES (?, ?)`),
		m.Version, strings.TrimSuffix(path.Base(m.Name), ".sql")); err != nil {
		return false, fmt.Errorf("migrate %s: record: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate %s: commit: %w", m.Name, err)
	}
	return true, nil
}

// Pending returns the versions not yet applied; readiness requires none.
func (d *DB) Pending(ctx context.Context) ([]string, error) {
	all, err := Migrations(d.Dialect)
	if err != nil {
		return nil, err
	}
	exists, err := d.revisionTableExists(ctx)
	if err != nil {
		return nil, err
	}
	var applied []string
	if exists {
		if applied, err = d.appliedVersions(ctx); err != nil {
			return nil, err
		}
	}
	var pending []string
	for _, m := range all {
		if !slices.Contains(applied, m.Version) {
			pending = append(pending, m.Version)
		}
	}
	return pending, nil
}

func (d *DB) revisionTableExists(ctx context.Context) (bool, error) {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '` + revisionTable + `'`
	if d.Dialect == Postgres {
		q = `SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = '` + revisionTable + `'`
	}
	var n int
	if err := d.SQL.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return false, fmt.Errorf("pending migrations: %w", err)
	}
	return n > 0, nil
}

func (d *DB) appliedVersions(ctx context.Context) ([]string, error) {
	rows, err := d.SQL.QueryContext(ctx, `SELECT version FROM `+revisionTable)
	if err != nil {
		return nil, fmt.Errorf("pending migrations: %w", err)
	}
	defer rows.Close()
	var applied []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("pending migrations: %w", err)
		}
		applied = append(applied, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending migrations: %w", err)
	}
	return applied, nil
}

// rebind turns ? placeholders into $n for PostgreSQL.
func rebind(dialect, q string) string {
	if dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// foreignKeyCheck fails when a migration left a row whose reference points
// nowhere (the check foreign keys would have made).
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("foreign key check: %w", err)
		}
		return fmt.Errorf("foreign key check: a row of %s references a missing row of %s", table, parent)
	}
	return rows.Err()
}
