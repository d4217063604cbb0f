package graph_test

import (
	"slices"
	"testing"

	"lectern/graph"
	"lectern/internal/apperr"
)

// TestUserErrorCodesMatchCatalogue keeps the schema enum UserErrorCode and
// the Go catalogue (internal/apperr) identical, in the same order: typed
// clients switch on the enum, and a code the server can return but the
// schema does not list would break them.
func TestUserErrorCodesMatchCatalogue(t *testing.T) {
	enum := graph.NewExecutableSchema(graph.Config{}).Schema().Types["UserErrorCode"]
	if enum == nil {
		t.Fatal("no UserErrorCode enum in the schema")
	}
	var inSchema []string
	for _, v := range enum.EnumValues {
		inSchema = append(inSchema, v.Name)
	}
	var inGo []string
	for _, c := range apperr.UserCodes {
		inGo = append(inGo, string(c))
	}
	if !slices.Equal(inSchema, inGo) {
		t.Fatalf("UserErrorCode in the schema %v, in internal/apperr %v", inSchema, inGo)
	}
}
