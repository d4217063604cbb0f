// Package ent is the generated data access layer; its schema lives in
// ent/schema and its versioned migrations in ent/migrate/migrations.
package ent

//go:generate go run -mod=mod entc.go
