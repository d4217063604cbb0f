package database_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/internal/database"
	"lectern/internal/testenv"
)

// TestMigrateUpgrade starts from a database deployed before the identity
// release (every migration up to and including init) holding data, and
// upgrades it. On SQLite the identity migration rebuilds the users table
// that courses' members and enrollments reference, the riskiest kind of
// change: done wrong, it cascades deletes or leaves references dangling.
func TestMigrateUpgrade(t *testing.T) {
	for _, dialect := range testenv.Dialects {
		t.Run(dialectName(dialect), func(t *testing.T) {
			ctx := context.Background()
			db := emptyDB(t, dialect)
			rest := migrateThroughInit(t, db)

			f := newFixture(t, db)
			verified := f.now.Add(-time.Hour)
			user := f.insert("users", with(f.userRow("upgrader@example.com"), row{"display_name": "Grace", "email_verified_at": verified}))
			course := f.insert("courses", f.courseRow("before-the-upgrade"))
			member := f.insert("course_members", f.memberRow(course, user, "OWNER"))
			enrollment := f.insert("enrollments", f.enrollmentRow(user, course))

			applied, err := db.Migrate(ctx)
			if err != nil {
				t.Fatalf("upgrade: %v", err)
			}
			if !slices.Equal(applied, rest) {
				t.Fatalf("upgrade applied %v, want the remaining %v", applied, rest)
			}

			t.Run("UserKeepsEveryColumn", func(t *testing.T) {
				var email, name, role string
				var at time.Time
				var lastStep int64
				var hash sql.NullString
				err := db.SQL.QueryRowContext(ctx, `SELECT email, display_name, role, email_verified_at, totp_last_step, password_hash FROM users WHERE id = $1`, user).
					Scan(&email, &name, &role, &at, &lastStep, &hash)
				if err != nil {
					t.Fatalf("read user: %v", err)
				}
				if email != "upgrader@example.com" || name != "Grace" || role != "LEARNER" || !at.Equal(verified) {
					t.Errorf("user = %s %q %s verified %v; want upgrader@example.com \"Grace\" LEARNER verified %v", email, name, role, at, verified)
				}
				if lastStep != 0 || hash.Valid {
					t.Errorf("new columns: totp_last_step %d, password_hash %v; want 0 and NULL", lastStep, hash)
				}
			})

			t.Run("ReferencesStillResolve", func(t *testing.T) {
				if n := f.count("courses", "id = $1", course); n != 1 {
					t.Errorf("%d courses, want 1", n)
				}
				var role string
				err := db.SQL.QueryRowContext(ctx, `SELECT m.role FROM course_members m
					JOIN users u ON u.id = m.user_id JOIN courses c ON c.id = m.course_id
					WHERE m.id = $1 AND u.id = $2 AND c.id = $3`, member, user, course).Scan(&role)
				if err != nil || role != "OWNER" {
					t.Errorf("owner membership joined to its user and course: %q, %v", role, err)
				}
				var n int
				err = db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM enrollments e
					JOIN users u ON u.id = e.user_id JOIN courses c ON c.id = e.course_id
					WHERE e.id = $1 AND u.id = $2 AND c.id = $3`, enrollment, user, course).Scan(&n)
				if err != nil || n != 1 {
					t.Errorf("enrollment joined to its user and course: %d rows, %v", n, err)
				}
				if dialect == database.SQLite {
					noDanglingReferences(t, db)
				}
			})

			t.Run("ForeignKeysEnforcedAgain", func(t *testing.T) {
				// RESTRICT still guards the rebuilt table: its history keeps the user.
				if err := f.exec(`DELETE FROM users WHERE id = $1`, user); err == nil {
					t.Errorf("deleted a user who has an enrollment and a membership")
				}
				if n := f.count("users", "id = $1", user); n != 1 {
					t.Errorf("%d users after the refused delete, want 1", n)
				}
				refusesDanglingUser(t, db, course)
			})
		})
	}
}

// migrateThroughInit applies the embedded migrations up to and including
// the init one, as an older release left them, and returns the versions
// still to apply. It fails the test if none remain, which would make an
// upgrade test vacuous.
func migrateThroughInit(t *testing.T, db *database.DB) []string {
	t.Helper()
	all, err := database.Migrations(db.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(all, func(m database.Migration) bool { return strings.HasSuffix(m.Name, "_init.sql") })
	if i < 0 || i == len(all)-1 {
		t.Fatalf("want an init migration with later ones after it, have %d migrations (init at %d)", len(all), i)
	}
	for _, m := range all[:i+1] {
		if ran, err := db.ApplyMigration(context.Background(), m); err != nil || !ran {
			t.Fatalf("apply %s: ran %v, %v", m.Name, ran, err)
		}
	}
	var rest []string
	for _, m := range all[i+1:] {
		rest = append(rest, m.Version)
	}
	return rest
}

// noDanglingReferences fails the test if SQLite finds any row whose
// foreign key points nowhere.
func noDanglingReferences(t *testing.T, db *database.DB) {
	t.Helper()
	rows, err := db.SQL.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatalf("foreign key check: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			t.Fatal(err)
		}
		t.Errorf("row %v of %s references a missing row of %s", rowid, table, parent)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// refusesDanglingUser checks that every connection of the pool refuses an
// enrollment for a user who does not exist. SQLite's foreign keys are a
// per-connection setting that migrations turn off, so each connection is
// held at once to be sure the one that migrated is among them.
func refusesDanglingUser(t *testing.T, db *database.DB, course uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t, db)
	n := db.SQL.Stats().MaxOpenConnections
	if db.Dialect == database.Postgres || n <= 0 {
		n = 1 // PostgreSQL never turns foreign keys off for a connection.
	}
	conns := make([]*sql.Conn, n)
	for i := range conns {
		c, err := db.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	for i, c := range conns {
		r := f.enrollmentRow(uuid.New(), course)
		_, err := c.ExecContext(ctx, `INSERT INTO enrollments (id, created_at, updated_at, user_id, course_id, status, completed_lesson_count)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, r["id"], r["created_at"], r["updated_at"], r["user_id"], r["course_id"], r["status"], r["completed_lesson_count"])
		if err == nil {
			t.Errorf("connection %d accepted an enrollment for a user who does not exist", i)
		} else if want := foreignKeyRefusal(db.Dialect); !strings.Contains(err.Error(), want) {
			t.Errorf("connection %d: %v; want %q", i, err, want)
		}
	}
}

func foreignKeyRefusal(dialect string) string {
	if dialect == database.Postgres {
		return "violates foreign key constraint"
	}
	return "FOREIGN KEY constraint failed"
}

// TestMigrateRefusesDanglingReferences runs a migration that rebuilds the
// users table but loses a row others reference. Foreign keys are off while
// SQLite migrations run, so only the check before commit can catch it; the
// migration must fail and leave the database as it was. PostgreSQL enforces
// its foreign keys throughout and needs no such check.
func TestMigrateRefusesDanglingReferences(t *testing.T) {
	ctx := context.Background()
	db := testenv.Open(t, database.SQLite)
	f := newFixture(t, db)
	user := f.insert("users", f.userRow("left-behind@example.com"))
	course := f.insert("courses", f.courseRow("orphaned"))
	f.insert("enrollments", f.enrollmentRow(user, course))

	bad := database.NewMigration("29990101000000", "29990101000000_lossy.sql",
		"CREATE TABLE `new_users` (`id` uuid NOT NULL, `email` text NOT NULL, PRIMARY KEY (`id`))",
		"INSERT INTO `new_users` (`id`, `email`) SELECT `id`, `email` FROM `users` WHERE `email` <> 'left-behind@example.com'",
		"DROP TABLE `users`",
		"ALTER TABLE `new_users` RENAME TO `users`",
	)
	ran, err := db.ApplyMigration(ctx, bad)
	if err == nil || ran {
		t.Fatalf("lossy migration: ran %v, err %v; want it refused", ran, err)
	}
	if !strings.Contains(err.Error(), "foreign key check") || !strings.Contains(err.Error(), "missing row of users") {
		t.Errorf("err = %v; want the foreign key check naming users", err)
	}

	var name string
	if err := db.SQL.QueryRowContext(ctx, `SELECT display_name FROM users WHERE id = $1`, user).Scan(&name); err != nil {
		t.Errorf("the users table was not restored: %v", err)
	}
	if n := f.count("lectern_schema_migrations", "version = $1", "29990101000000"); n != 0 {
		t.Errorf("the refused migration was recorded as applied")
	}
	noDanglingReferences(t, db)
	refusesDanglingUser(t, db, course)
}
