// Package catalog reads the public course catalogue: listing, filtering and
// looking up courses and lessons, with the rules that go beyond plain ent
// queries (allowlisted filters, text search per dialect, bounded lists).
package catalog

import "lectern/ent"

// Service answers catalogue queries.
type Service struct {
	client  *ent.Client
	dialect string
}

// New returns a Service reading through client, whose database speaks
// dialect ("sqlite3" or "postgres").
func New(client *ent.Client, dialect string) *Service {
	return &Service{client: client, dialect: dialect}
}
