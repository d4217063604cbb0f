package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"net/url"
	"strings"

	"github.com/lib/pq"
)

// ensureDatabase creates the PostgreSQL database dbURL names when the
// server has none by that name, so a benchmark database needs no set-up.
func ensureDatabase(ctx context.Context, dbURL string) error {
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	err = db.PingContext(ctx)
	var pqErr *pq.Error
	if err == nil || !errors.As(err, &pqErr) || pqErr.Code != "3D000" { // invalid_catalog_name
		return err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	admin, err := sql.Open("postgres", u.String())
	if err != nil {
		return err
	}
	defer admin.Close()
	log.Printf("creating database %s", name)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// postgresVersion answers the version of the PostgreSQL server at dbURL,
// as it reports it (server_version), for the report's header: figures
// from different releases, the SQL ceiling's above all, do not compare.
func postgresVersion(ctx context.Context, dbURL string) (string, error) {
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var v string
	if err := db.QueryRowContext(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", fmt.Errorf("server version: %w", err)
	}
	return v, nil
}
