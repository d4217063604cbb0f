package graph_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"

	"github.com/google/uuid"

	"lectern/graph"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
	"lectern/policy"
)

// Outcomes of the authorization matrix.
const (
	allow = "allow"
	// unauth: refused with UNAUTHENTICATED (sign in first).
	unauth = "unauthenticated"
	// forbid: refused with FORBIDDEN.
	forbid = "forbidden"
)

// callers are the kinds of caller every operation is decided for. Identity
// (sessions, tokens, MFA) arrives later; until then a caller is its global
// role, and course-scoped roles are decided per object by the data layer.
var callers = map[string]context.Context{
	"anonymous":  context.Background(),
	"learner":    viewer.NewContext(context.Background(), viewer.Viewer{UserID: uuid.New(), Role: viewer.RoleLearner}),
	"instructor": viewer.NewContext(context.Background(), viewer.Viewer{UserID: uuid.New(), Role: viewer.RoleInstructor}),
	"admin":      viewer.NewContext(context.Background(), viewer.Viewer{UserID: uuid.New(), Role: viewer.RoleAdmin}),
}

// everyone allows every caller.
var everyone = map[string]string{"anonymous": allow, "learner": allow, "instructor": allow, "admin": allow}

// matrix is the decision for every root field of the schema and every kind
// of caller. A field of the schema without a row fails the test, so no
// operation ships without an authorization decision.
var matrix = map[string]map[string]string{
	"Query.node":    everyone,
	"Query.nodes":   everyone,
	"Query.courses": everyone,
	"Query.course":  everyone,
	"Query.lesson":  everyone,
	"Query.tags":    everyone,
	"Query.viewer":  everyone,
}

func TestAuthorizationMatrix(t *testing.T) {
	enforcer, err := policy.New()
	if err != nil {
		t.Fatal(err)
	}
	authz := access.New(enforcer)
	fields := rootFields()
	for _, op := range fields {
		row, ok := matrix[op]
		if !ok {
			t.Errorf("%s has no row in the authorization matrix", op)
			continue
		}
		for caller, ctx := range callers {
			want, ok := row[caller]
			if !ok {
				t.Errorf("%s: no decision for caller %s", op, caller)
				continue
			}
			if got := outcome(authz.Operation(ctx, op)); got != want {
				t.Errorf("%s as %s: got %s, want %s", op, caller, got, want)
			}
		}
	}
	for op := range matrix {
		if !slices.Contains(fields, op) {
			t.Errorf("matrix row %s names no field of the schema", op)
		}
	}
}

// TestAuthorizationEnforcedOverHTTP proves the decision is applied to real
// requests: anonymous callers reach every field the matrix allows them, and
// an operation missing from the policy is refused.
func TestAuthorizationEnforcedOverHTTP(t *testing.T) {
	db := testenv.Open(t, database.SQLite)
	c := testenv.NewClient(t, db)
	docs := map[string]string{
		"Query.node":    `{ node(id: "Q291cnNlOpRqGRLdpElek3NAwsGSfws") { id } }`,
		"Query.nodes":   `{ nodes(ids: []) { id } }`,
		"Query.courses": `{ courses { totalCount } }`,
		"Query.course":  `{ course(slug: "none") { id } }`,
		"Query.lesson":  `{ lesson(courseSlug: "none", lessonSlug: "none") { id } }`,
		"Query.tags":    `{ tags { totalCount } }`,
		"Query.viewer":  `{ viewer { user { id } } }`,
	}
	for _, op := range rootFields() {
		doc, ok := docs[op]
		if !ok {
			t.Errorf("%s: no request document in this test", op)
			continue
		}
		r := c.Query(doc, nil)
		got := allow
		for _, e := range r.Errors {
			switch e.Extensions.Code {
			case string(apperr.Unauthenticated):
				got = unauth
			case string(apperr.Forbidden):
				got = forbid
			}
		}
		if want := matrix[op]["anonymous"]; got != want {
			t.Errorf("%s as anonymous over HTTP: got %s (%+v), want %s", op, got, r.Errors, want)
		}
	}
	enforcer, err := policy.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := access.New(enforcer).Operation(context.Background(), "Query.notInPolicy"); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("an operation without a rule: got %v, want UNAUTHENTICATED (deny by default)", err)
	}
}

func outcome(err error) string {
	var e *apperr.Error
	switch {
	case err == nil:
		return allow
	case errors.As(err, &e) && e.Code == apperr.Unauthenticated:
		return unauth
	case errors.As(err, &e) && e.Code == apperr.Forbidden:
		return forbid
	}
	return "error: " + err.Error()
}

// rootFields lists "Query.x" and "Mutation.y" for every root field of the
// executable schema.
func rootFields() []string {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	var out []string
	for _, def := range []string{"Query", "Mutation", "Subscription"} {
		if typ := s.Types[def]; typ != nil {
			for _, f := range typ.Fields {
				if len(f.Name) > 2 && f.Name[:2] == "__" {
					continue
				}
				out = append(out, def+"."+f.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}
