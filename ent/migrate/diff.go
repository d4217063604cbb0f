//go:build ignore

// diff.go writes the next versioned migration for both dialects from the ent
// schema:
//
//	go run -mod=mod ./ent/migrate/diff.go <name>
//
// It replays the existing migrations on a scratch database (in-memory SQLite;
// a temporary database on the PostgreSQL at MIGRATE_DEV_POSTGRES_URL, default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) and writes
// whatever brings it to the schema.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log"
	"net/url"
	"os"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"lectern/ent/migrate"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatalln("usage: go run -mod=mod ./ent/migrate/diff.go <name>")
	}
	ctx := context.Background()
	name := os.Args[1]
	db, err := sql.Open("sqlite", "file:dev?mode=memory&_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	if err := diff(ctx, db, dialect.SQLite, "ent/migrate/migrations/sqlite", name); err != nil {
		log.Fatalf("sqlite: %v", err)
	}
	if err := withScratchPostgres(ctx, func(db *sql.DB) error {
		return diff(ctx, db, dialect.Postgres, "ent/migrate/migrations/postgres", name)
	}); err != nil {
		log.Fatalf("postgres: %v", err)
	}
}

func diff(ctx context.Context, db *sql.DB, dia, path, name string) error {
	dir, err := atlas.NewLocalDir(path)
	if err != nil {
		return err
	}
	m, err := schema.NewMigrate(entsql.OpenDB(dia, db),
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dia),
		schema.WithFormatter(atlas.DefaultFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	)
	if err != nil {
		return err
	}
	return m.NamedDiff(ctx, name, migrate.Tables...)
}

func withScratchPostgres(ctx context.Context, fn func(*sql.DB) error) error {
	base := os.Getenv("MIGRATE_DEV_POSTGRES_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	admin, err := sql.Open("postgres", base)
	if err != nil {
		return err
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "lectern_migrate_dev_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return err
	}
	defer admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	u.Path = "/" + name
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}
