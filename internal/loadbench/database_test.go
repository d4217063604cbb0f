package main

import (
	"context"
	"regexp"
	"testing"

	"lectern/internal/testenv"
)

// The report's header names the PostgreSQL release, read from the server.
func TestPostgresVersion(t *testing.T) {
	v, err := postgresVersion(context.Background(), testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d+(\.\d+)?`).MatchString(v) {
		t.Errorf("server version %q does not start with a release number", v)
	}
}

// A server that cannot be reached is an error, not an empty version.
func TestPostgresVersionUnreachable(t *testing.T) {
	if _, err := postgresVersion(context.Background(), "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"); err == nil {
		t.Fatal("no error from a server that is not there")
	}
}
