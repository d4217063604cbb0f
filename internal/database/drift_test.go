package database_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlasschema "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"

	"lectern/ent/migrate"
	"lectern/internal/database"
	"lectern/internal/testenv"
)

// Why the drift check does not simply run WriteTo against the migrated
// database and stop there: in its default (inspect) mode ent compares the
// schema *as written in Go* with the schema *as the database reports it*.
// That comparison is untrue in both directions:
//
//   - Expressions are compared as text. PostgreSQL reports the partial index
//     predicate of coursemember_one_owner as ((role)::text = 'OWNER'::text)
//     while the ent schema says role = 'OWNER', so WriteTo plans a spurious
//     DROP INDEX / CREATE UNIQUE INDEX although the two are the same index.
//     (The pg_trgm GIN opclass compares correctly.)
//   - CHECK constraints are matched by name only (atlas's non-normalised
//     diff mode), so a migration whose CHECK expression differs from the ent
//     schema passes unnoticed. Atlas's normalised mode
//     (schema.DiffNormalized) compares the expressions, but against the Go
//     text it reports nearly every PostgreSQL CHECK as modified.
//
// The comparison becomes truthful when both sides are in the engine's own
// words. ent creates its schema (migrate.Schema.Create) in a second empty
// database, which is inspected; that is the desired state. A diff hook hands
// it to WriteTo in place of the Go schema, and WriteTo plans against the
// migrated database in normalised mode, so CHECK expressions count too.
//
// On PostgreSQL one more step is needed: its deparser is not idempotent.
// The migration files already hold PostgreSQL's rendering of the ent
// expressions, and PostgreSQL renders that rendering differently again
// (nested ANDs flattened, ARRAY[...]::text[] turned into per-element casts),
// although the constraint is the same. So both sides go through a scratch
// database (atlas's dev-database normaliser) until the text stops changing,
// and are compared at that fixed point. SQLite stores the DDL text verbatim,
// which both sides took from the same ent expressions, so it needs no such
// step. DetectsDrift proves the check is not blind: it changes a CHECK, a
// partial index, an opclass, a foreign-key action or drops an index in the
// migrated database and expects WriteTo to name it.

func TestMigrationDrift(t *testing.T) {
	for _, dialect := range testenv.Dialects {
		t.Run(dialectName(dialect), func(t *testing.T) {
			ctx := context.Background()
			norm := normalizer(t, dialect)
			desired := norm(entSchemaAsStored(t, dialect))

			t.Run("WriteToPlansNothing", func(t *testing.T) {
				migrated := emptyDB(t, dialect)
				if _, err := migrated.Migrate(ctx); err != nil {
					t.Fatalf("migrate: %v", err)
				}
				if stmts := plannedChanges(t, migrated, desired, norm); len(stmts) > 0 {
					t.Fatalf("the migrations do not produce the ent schema; WriteTo plans:\n%s", strings.Join(stmts, "\n"))
				}
			})

			t.Run("DetectsDrift", func(t *testing.T) {
				for _, c := range driftCases(dialect) {
					t.Run(c.name, func(t *testing.T) {
						migrated := emptyDB(t, dialect)
						if _, err := migrated.Migrate(ctx); err != nil {
							t.Fatalf("migrate: %v", err)
						}
						for _, stmt := range c.alter {
							if _, err := migrated.SQL.ExecContext(ctx, stmt); err != nil {
								t.Fatalf("%s: %v", stmt, err)
							}
						}
						stmts := plannedChanges(t, migrated, desired, norm)
						if !strings.Contains(strings.Join(stmts, "\n"), c.mention) {
							t.Fatalf("WriteTo missed a change to %s; it planned:\n%s", c.mention, strings.Join(stmts, "\n"))
						}
					})
				}
			})
		})
	}
}

type driftCase struct {
	name    string
	alter   []string // statements that move the migrated schema away from ent's
	mention string   // an object the planned statements must name
}

func driftCases(dialect string) []driftCase {
	if dialect == database.Postgres {
		return []driftCase{
			{"CheckExpression", []string{
				`ALTER TABLE reviews DROP CONSTRAINT review_rating`,
				`ALTER TABLE reviews ADD CONSTRAINT review_rating CHECK (rating BETWEEN 0 AND 5)`,
			}, "review_rating"},
			{"PartialIndexPredicate", []string{
				`DROP INDEX coursemember_one_owner`,
				`CREATE UNIQUE INDEX coursemember_one_owner ON course_members (course_id) WHERE role = 'INSTRUCTOR'`,
			}, "coursemember_one_owner"},
			{"TrigramOpClass", []string{
				`DROP INDEX course_title`,
				`CREATE INDEX course_title ON courses (title)`,
			}, "course_title"},
			{"ForeignKeyAction", []string{
				`ALTER TABLE reviews DROP CONSTRAINT reviews_courses_reviews`,
				`ALTER TABLE reviews ADD CONSTRAINT reviews_courses_reviews FOREIGN KEY (course_id) REFERENCES courses (id) ON DELETE CASCADE`,
			}, "reviews_courses_reviews"},
		}
	}
	// SQLite cannot alter a CHECK or a foreign key in place: rebuild the
	// table the way SQLite documents, with one CHECK changed.
	return []driftCase{
		{"CheckExpression", []string{
			"CREATE TABLE `reviews_new` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `rating` integer NOT NULL, `body` text NOT NULL DEFAULT (''), `course_id` uuid NOT NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `reviews_courses_reviews` FOREIGN KEY (`course_id`) REFERENCES `courses` (`id`) ON DELETE RESTRICT, CONSTRAINT `reviews_users_reviews` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE RESTRICT, CONSTRAINT `review_body` CHECK (length(body) BETWEEN 0 AND 5000), CONSTRAINT `review_rating` CHECK (rating BETWEEN 0 AND 5))",
			"DROP TABLE reviews",
			"ALTER TABLE reviews_new RENAME TO reviews",
			"CREATE UNIQUE INDEX `review_user_id_course_id` ON `reviews` (`user_id`, `course_id`)",
			"CREATE INDEX `review_course_id_created_at` ON `reviews` (`course_id`, `created_at`)",
		}, "review_rating"},
		{"PartialIndexPredicate", []string{
			`DROP INDEX coursemember_one_owner`,
			`CREATE UNIQUE INDEX coursemember_one_owner ON course_members (course_id) WHERE role = 'INSTRUCTOR'`,
		}, "coursemember_one_owner"},
		{"MissingIndex", []string{`DROP INDEX lessonprogress_lesson_id`}, "lessonprogress_lesson_id"},
	}
}

// entSchemaAsStored lets ent create its schema in an empty database and
// returns that schema as the database itself reports it.
func entSchemaAsStored(t *testing.T, dialect string) *atlasschema.Schema {
	t.Helper()
	ctx := context.Background()
	ref := emptyDB(t, dialect)
	if dialect == database.Postgres {
		// The trigram opclass needs the extension, which the first migration
		// creates; ent does not manage extensions.
		if _, err := ref.SQL.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm"); err != nil {
			t.Fatalf("pg_trgm: %v", err)
		}
	}
	if err := migrate.NewSchema(entsql.OpenDB(dialect, ref.SQL)).Create(ctx); err != nil {
		t.Fatalf("create ent schema: %v", err)
	}
	return inspect(t, ref)
}

// inspect reads the ent tables of db through atlas.
func inspect(t *testing.T, db *database.DB) *atlasschema.Schema {
	t.Helper()
	drv := atlasDriver(t, db)
	names := make([]string, len(migrate.Tables))
	for i, tbl := range migrate.Tables {
		names[i] = tbl.Name
	}
	s, err := drv.InspectSchema(context.Background(), "", &atlasschema.InspectOptions{
		Tables: names,
		Mode:   atlasschema.InspectSchemas | atlasschema.InspectTables,
	})
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	if len(s.Tables) != len(names) {
		t.Fatalf("inspected %d tables, want %d", len(s.Tables), len(names))
	}
	return s
}

func atlasDriver(t *testing.T, db *database.DB) atlasmigrate.Driver {
	t.Helper()
	var (
		drv atlasmigrate.Driver
		err error
	)
	if db.Dialect == database.Postgres {
		drv, err = postgres.Open(db.SQL)
	} else {
		drv, err = sqlite.Open(db.SQL)
	}
	if err != nil {
		t.Fatalf("atlas driver: %v", err)
	}
	return drv
}

// plannedChanges runs ent's WriteTo against db with desired (the ent schema
// as the engine stores it) in place of the Go schema, normalising what it
// inspects with norm, and returns the statements it plans, leaving out the
// BEGIN/COMMIT that frame them.
func plannedChanges(t *testing.T, db *database.DB, desired *atlasschema.Schema, norm func(*atlasschema.Schema) *atlasschema.Schema) []string {
	t.Helper()
	var buf bytes.Buffer
	err := migrate.NewSchema(entsql.OpenDB(db.Dialect, db.SQL)).WriteTo(context.Background(), &buf,
		schema.WithDropIndex(true),
		schema.WithDropColumn(true),
		schema.WithDiffOptions(atlasschema.DiffNormalized()),
		schema.WithDiffHook(func(next schema.Differ) schema.Differ {
			return schema.DiffFunc(func(current, _ *atlasschema.Schema) ([]atlasschema.Change, error) {
				want := *desired
				want.Name, want.Attrs = current.Name, current.Attrs
				return next.Diff(norm(current), &want)
			})
		}),
	)
	if err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	var stmts []string
	for _, line := range strings.Split(buf.String(), "\n") {
		switch strings.TrimSpace(line) {
		case "", "BEGIN;", "COMMIT;", "BEGIN", "COMMIT":
			continue
		}
		stmts = append(stmts, line)
	}
	return stmts
}

// normalizer returns the function that brings a schema to the engine's
// fixed point: identity on SQLite; on PostgreSQL, repeated round trips
// through a scratch database until a round trip changes nothing.
func normalizer(t *testing.T, dialect string) func(*atlasschema.Schema) *atlasschema.Schema {
	t.Helper()
	if dialect != database.Postgres {
		return func(s *atlasschema.Schema) *atlasschema.Schema { return s }
	}
	ctx := context.Background()
	dev := emptyDB(t, dialect)
	drv := atlasDriver(t, dev)
	n, ok := drv.(atlasschema.Normalizer)
	if !ok {
		t.Fatalf("the atlas PostgreSQL driver cannot normalise")
	}
	return func(s *atlasschema.Schema) *atlasschema.Schema {
		t.Helper()
		for range 5 {
			// The normaliser leaves the scratch database clean by dropping
			// and recreating the public schema, extension included, so
			// the trigram opclass has to be brought back every round.
			if _, err := dev.SQL.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm"); err != nil {
				t.Fatalf("pg_trgm: %v", err)
			}
			ns, err := n.NormalizeSchema(ctx, s)
			if err != nil {
				t.Fatalf("normalise: %v", err)
			}
			changes, err := drv.SchemaDiff(s, ns, atlasschema.DiffNormalized())
			if err != nil {
				t.Fatalf("diff: %v", err)
			}
			if len(changes) == 0 {
				return ns
			}
			s = ns
		}
		t.Fatalf("PostgreSQL's rendering of the schema did not settle")
		return nil
	}
}
