package database_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"

	atlas "ariga.io/atlas/sql/migrate"

	"lectern/ent/migrate/migrations"
	"lectern/internal/database"
	"lectern/internal/testenv"
)

// versions lists the versions of the dialect's embedded migrations.
func versions(t *testing.T, dialect string) []string {
	t.Helper()
	all, err := database.Migrations(dialect)
	if err != nil {
		t.Fatalf("migrations: %v", err)
	}
	out := make([]string, len(all))
	for i, m := range all {
		out[i] = m.Version
	}
	return out
}

func TestMigrate(t *testing.T) {
	for _, dialect := range testenv.Dialects {
		t.Run(dialectName(dialect), func(t *testing.T) {
			t.Run("AppliesEverythingOnceThenNothing", func(t *testing.T) {
				ctx := context.Background()
				db := emptyDB(t, dialect)
				all := versions(t, dialect)

				pending, err := db.Pending(ctx)
				if err != nil {
					t.Fatalf("pending on a fresh database: %v", err)
				}
				if !slices.Equal(pending, all) {
					t.Fatalf("pending on a fresh database = %v, want every migration %v", pending, all)
				}

				applied, err := db.Migrate(ctx)
				if err != nil {
					t.Fatalf("first migrate: %v", err)
				}
				if !slices.Equal(applied, all) {
					t.Fatalf("first migrate applied %v, want %v", applied, all)
				}

				again, err := db.Migrate(ctx)
				if err != nil {
					t.Fatalf("second migrate: %v", err)
				}
				if len(again) != 0 {
					t.Fatalf("second migrate applied %v, want nothing", again)
				}

				pending, err = db.Pending(ctx)
				if err != nil {
					t.Fatalf("pending after migrate: %v", err)
				}
				if len(pending) != 0 {
					t.Fatalf("pending after migrate = %v, want none", pending)
				}
				if got := recordedVersions(t, db); !slices.Equal(got, all) {
					t.Fatalf("revision table holds %v, want %v", got, all)
				}
			})

			t.Run("PendingListsOnlyMissingVersions", func(t *testing.T) {
				ctx := context.Background()
				db := testenv.Open(t, dialect)
				all := versions(t, dialect)
				last := all[len(all)-1]
				if _, err := db.SQL.ExecContext(ctx, `DELETE FROM lectern_schema_migrations WHERE version = $1`, last); err != nil {
					t.Fatalf("forget %s: %v", last, err)
				}
				pending, err := db.Pending(ctx)
				if err != nil {
					t.Fatalf("pending: %v", err)
				}
				if !slices.Equal(pending, []string{last}) {
					t.Fatalf("pending = %v, want [%s]", pending, last)
				}
			})
		})
	}
}

// recordedVersions reads the revision table, oldest first.
func recordedVersions(t *testing.T, db *database.DB) []string {
	t.Helper()
	rows, err := db.SQL.Query(`SELECT version FROM lectern_schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read revisions: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatalf("scan: %v", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("rows: %v", err)
	}
	return out
}

func TestMigrations(t *testing.T) {
	for _, dialect := range testenv.Dialects {
		t.Run(dialectName(dialect), func(t *testing.T) {
			t.Run("ListsEmbeddedFilesOldestFirst", func(t *testing.T) {
				all, err := database.Migrations(dialect)
				if err != nil {
					t.Fatalf("migrations: %v", err)
				}
				files := sqlFiles(t, dialect)
				if len(all) != len(files) {
					t.Fatalf("got %d migrations, the directory has %d files", len(all), len(files))
				}
				for i, m := range all {
					if m.Name != files[i] || !strings.HasPrefix(files[i], m.Version+"_") {
						t.Errorf("migration %d = %s (%s), want file %s", i, m.Name, m.Version, files[i])
					}
				}
				if !slices.IsSorted(versions(t, dialect)) {
					t.Errorf("versions are not oldest first: %v", versions(t, dialect))
				}
			})

			// Migrations reads the embedded directory and cannot be pointed
			// at another one, so a tampered file is checked with the same
			// validation (atlas.Validate over an in-memory copy of the
			// embedded files) that Migrations runs before returning.
			t.Run("RejectsTamperedFile", func(t *testing.T) {
				dir := embeddedCopy(t, dialect)
				if err := atlas.Validate(dir); err != nil {
					t.Fatalf("the untouched copy does not validate: %v", err)
				}
				// The init migration holds the rating CHECK tampered with below.
				files := sqlFiles(t, dialect)
				i := slices.IndexFunc(files, func(f string) bool { return strings.HasSuffix(f, "_init.sql") })
				if i < 0 {
					t.Fatalf("no init migration among %v", files)
				}
				name := files[i]
				data, err := fs.ReadFile(migrations.FS, migrationPath(dialect, name))
				if err != nil {
					t.Fatalf("read %s: %v", name, err)
				}
				// Loosen the rating CHECK: the kind of "harmless" edit to an
				// applied migration that atlas.sum exists to catch.
				from, to := "rating BETWEEN 1 AND 5", "rating BETWEEN 0 AND 5"
				if dialect == database.Postgres {
					from, to = "(rating >= 1)", "(rating >= 0)"
				}
				tampered := strings.Replace(string(data), from, to, 1)
				if tampered == string(data) {
					t.Fatalf("the tampering did not change %s", name)
				}
				if err := dir.WriteFile(name, []byte(tampered)); err != nil {
					t.Fatalf("write: %v", err)
				}
				if err := atlas.Validate(dir); !errors.Is(err, atlas.ErrChecksumMismatch) {
					t.Fatalf("validate tampered directory: err = %v, want %v", err, atlas.ErrChecksumMismatch)
				}
			})

			t.Run("RejectsUnrecordedFile", func(t *testing.T) {
				dir := embeddedCopy(t, dialect)
				if err := dir.WriteFile("29990101000000_sneaky.sql", []byte("DROP TABLE reviews;\n")); err != nil {
					t.Fatalf("write: %v", err)
				}
				if err := atlas.Validate(dir); !errors.Is(err, atlas.ErrChecksumMismatch) {
					t.Fatalf("validate directory with an unrecorded file: err = %v, want %v", err, atlas.ErrChecksumMismatch)
				}
			})
		})
	}
}

func migrationPath(dialect, name string) string {
	if dialect == database.Postgres {
		return "postgres/" + name
	}
	return "sqlite/" + name
}

// sqlFiles lists the dialect's embedded .sql files in name order.
func sqlFiles(t *testing.T, dialect string) []string {
	t.Helper()
	entries, err := fs.ReadDir(migrations.FS, strings.TrimSuffix(migrationPath(dialect, ""), "/"))
	if err != nil {
		t.Fatalf("read embedded migrations: %v", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	return names
}

// embeddedCopy copies the dialect's embedded migrations, atlas.sum
// included, into an in-memory directory.
func embeddedCopy(t *testing.T, dialect string) *atlas.MemDir {
	t.Helper()
	dir := &atlas.MemDir{}
	root := strings.TrimSuffix(migrationPath(dialect, ""), "/")
	entries, err := fs.ReadDir(migrations.FS, root)
	if err != nil {
		t.Fatalf("read embedded migrations: %v", err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(migrations.FS, root+"/"+e.Name())
		if err != nil {
			t.Fatalf("read %s: %v", e.Name(), err)
		}
		if err := dir.WriteFile(e.Name(), data); err != nil {
			t.Fatalf("copy %s: %v", e.Name(), err)
		}
	}
	t.Cleanup(func() { _ = dir.Close() })
	return dir
}

func TestMigrateConcurrently(t *testing.T) {
	// Several processes starting at once against one database (replicas
	// rolling out, or "lectern migrate" beside a dev server) must apply each
	// migration exactly once: PostgreSQL through Migrate's advisory lock,
	// SQLite through its write lock. Many rounds, because an unserialised
	// Migrate only fails when the runs happen to overlap; a correct one
	// passes every round. PostgreSQL gets fewer rounds, each with its own
	// database, to stay well inside the server's connection limit.
	rounds := map[string][2]int{database.SQLite: {40, 16}, database.Postgres: {3, 3}}
	for _, dialect := range testenv.Dialects {
		t.Run(dialectName(dialect), func(t *testing.T) {
			n := rounds[dialect]
			for round := range n[0] {
				t.Run(fmt.Sprintf("round%d", round), func(t *testing.T) {
					migrateConcurrently(t, dialect, n[1])
				})
			}
		})
	}
}

func migrateConcurrently(t *testing.T, dialect string, processes int) {
	t.Helper()
	ctx := context.Background()
	url := emptyURL(t, dialect)
	dbs := make([]*database.DB, processes)
	for i := range dbs {
		dbs[i] = openURL(t, url)
	}
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		applied = make([][]string, processes)
		errs    = make([]error, processes)
	)
	for i, db := range dbs {
		wg.Go(func() {
			<-start
			applied[i], errs[i] = db.Migrate(ctx)
		})
	}
	close(start)
	wg.Wait()

	var union []string
	for i := range processes {
		if errs[i] != nil {
			t.Errorf("migrate %d: %v", i, errs[i])
		}
		union = append(union, applied[i]...)
	}
	slices.Sort(union)
	all := versions(t, dialect)
	if !slices.Equal(union, all) {
		t.Fatalf("together the runs applied %v (%v), want each of %v exactly once", union, applied, all)
	}
	if got := recordedVersions(t, dbs[0]); !slices.Equal(got, all) {
		t.Fatalf("revision table holds %v", got)
	}
	for i, db := range dbs {
		if pending, err := db.Pending(ctx); err != nil || len(pending) != 0 {
			t.Errorf("pending seen by %d = %v, %v; want none", i, pending, err)
		}
	}
}

func TestPending(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		// A database that cannot answer is not a database with pending
		// migrations: readiness would report "N migrations pending" for a
		// query that timed out, and "lectern seed" would ask to migrate a
		// fully migrated database.
		t.Run("ReportsErrorWhenRevisionsCannotBeRead", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			pending, err := db.Pending(ctx)
			if err == nil {
				t.Fatalf("Pending with a cancelled context = %v, nil; want an error, not every migration reported pending", pending)
			}
		})

		t.Run("EmptyOnMigratedDatabase", func(t *testing.T) {
			pending, err := db.Pending(context.Background())
			if err != nil || len(pending) != 0 {
				t.Fatalf("Pending = %v, %v; want none", pending, err)
			}
		})
	})
}
