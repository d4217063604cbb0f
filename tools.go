//go:build tools

// Package tools pins the code generators that `go generate ./...` runs, so
// every machine regenerates with the same versions recorded in go.mod.
package tools

import (
	_ "entgo.io/contrib/entgql"
	_ "entgo.io/ent/cmd/ent"
	_ "github.com/99designs/gqlgen"
	_ "github.com/Khan/genqlient"
)
