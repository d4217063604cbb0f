// Package e2e tests Lectern end to end: it builds the lectern binary, starts
// it as a user would (no arguments, configuration from the environment) on
// SQLite and on PostgreSQL, and talks to it over HTTP with a typed GraphQL
// client generated from schema.graphql (operations.graphql holds the
// operations; client_gen.go is the generated client).
package e2e

//go:generate go run -mod=mod github.com/Khan/genqlient
