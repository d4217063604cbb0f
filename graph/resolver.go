// Package graph is Lectern's GraphQL layer: the gqlgen-generated executor,
// thin resolvers that call one domain function each, the error presenter and
// the handler with its limits. It holds no business rules.
package graph

import (
	"lectern/ent"
	"lectern/internal/access"
	"lectern/internal/auth"
	"lectern/internal/authoring"
	"lectern/internal/catalog"
	"lectern/internal/export"
	"lectern/internal/jobs"
	"lectern/internal/learning"
	"lectern/internal/media"
)

//go:generate go run -mod=mod github.com/99designs/gqlgen generate
//go:generate go run -mod=mod postgen.go
//go:generate go run -mod=mod schemaprint.go ../schema.graphql

// Resolver is the root resolver.
type Resolver struct {
	client    *ent.Client
	access    *access.Authorizer
	catalog   *catalog.Service
	auth      *auth.Service
	learning  *learning.Service
	authoring *authoring.Service
	media     *media.Service
	export    *export.Service
	jobs      *jobs.Admin
}
