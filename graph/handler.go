package graph

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"lectern/ent"
	"lectern/graph/model"
	"lectern/internal/access"
	"lectern/internal/auth"
	"lectern/internal/authoring"
	"lectern/internal/catalog"
	"lectern/internal/database"
	"lectern/internal/learning"
	"lectern/internal/loader"
)

// Options are the dependencies of the GraphQL handler.
type Options struct {
	DB         *database.DB
	Authorizer *access.Authorizer
	Logger     *slog.Logger
	// Debug adds extensions.debug.sqlQueries (the statements the request
	// ran) to every response. Dev only: it shows the shape of queries.
	Debug bool
	// LoaderWait is the dataloaders' batching window (loader.DefaultWait
	// when zero).
	LoaderWait time.Duration
	// Auth is the identity service behind the account mutations.
	Auth *auth.Service
	// Learning is the service behind enrolment, progress and reviews.
	Learning *learning.Service
	// Authoring is the service behind course writing.
	Authoring *authoring.Service
}

// NewHandler returns the GraphQL endpoint: POST with a JSON body, errors
// presented with codes and request IDs, limits on page sizes, depth and
// complexity, and every root field authorized against the policy.
func NewHandler(o Options) http.Handler {
	es := NewExecutableSchema(Config{
		Resolvers: &Resolver{
			client:    o.DB.Ent,
			catalog:   catalog.New(o.DB.Ent, o.DB.Dialect),
			auth:      o.Auth,
			learning:  o.Learning,
			authoring: o.Authoring,
		},
		Complexity: complexity(),
	})
	srv := handler.New(es)
	srv.AddTransport(transport.POST{})
	srv.SetErrorPresenter(presenter(o.Logger))
	srv.SetRecoverFunc(recoverer(o.Logger))
	// The schema is public (schema.graphql is published with the code), so
	// introspection stays on in every environment for typed clients.
	srv.Use(extension.Introspection{})
	srv.Use(limits{})
	srv.Use(extension.FixedComplexityLimit(MaxComplexity))
	srv.AroundRootFields(authorize(o.Authorizer))
	if o.Debug {
		srv.AroundResponses(debugStatements)
	}
	return perRequest(o, srv)
}

// perRequest gives each request its own dataloaders and, in debug mode, a
// log of its SQL statements.
func perRequest(o Options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := loader.NewContext(withSelfState(r.Context()), loader.New(o.DB.Ent, o.LoaderWait))
		if o.Debug {
			ctx, _ = database.WithStatementLog(ctx)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// authorize asks the policy before any root field runs; a field without an
// allow rule is refused (deny by default).
func authorize(a *access.Authorizer) graphql.RootFieldMiddleware {
	return func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		fc := graphql.GetRootFieldContext(ctx)
		if fc == nil || isIntrospection(fc.Field.Name) {
			return next(ctx)
		}
		if err := a.Operation(ctx, rootType(ctx)+"."+fc.Field.Name); err != nil {
			graphql.AddError(graphql.WithPathContext(ctx, graphql.NewPathWithField(fc.Field.Alias)), err)
			return graphql.Null
		}
		return next(ctx)
	}
}

// rootType names the root type of the running operation ("Query",
// "Mutation"), as the policy spells operations.
func rootType(ctx context.Context) string {
	switch graphql.GetOperationContext(ctx).Operation.Operation {
	case ast.Mutation:
		return "Mutation"
	case ast.Subscription:
		return "Subscription"
	}
	return "Query"
}

// isMutation reports whether ctx runs a mutation; false also when the
// document never became an operation (it did not parse or validate).
func isMutation(ctx context.Context) bool {
	if !graphql.HasOperationContext(ctx) {
		return false
	}
	op := graphql.GetOperationContext(ctx).Operation
	return op != nil && op.Operation == ast.Mutation
}

func isIntrospection(name string) bool { return len(name) > 2 && name[:2] == "__" }

// debugStatements adds the request's SQL statements to the response.
func debugStatements(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	// Mutations get no statement list: which statements a sign-up ran
	// would tell a taken address from a free one.
	if resp == nil || isMutation(ctx) {
		return resp
	}
	stmts := database.StatementsFrom(ctx)
	if stmts == nil {
		stmts = []string{}
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions["debug"] = map[string]any{"sqlQueries": stmts, "sqlQueryCount": len(stmts)}
	return resp
}

// complexity makes connections cost their page size times their selection,
// so a document asking for 100 courses with 100 reviews each is refused
// before it runs.
func complexity() ComplexityRoot {
	var c ComplexityRoot
	c.Query.Courses = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *model.CourseWhereInput, _ []*ent.CourseOrder) int {
		return 1 + pageSize(first, last)*child
	}
	c.Query.Tags = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.TagOrder) int {
		return 1 + pageSize(first, last)*child
	}
	c.Query.AuditEvents = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *model.AuditEventWhereInput, _ *ent.AuditEventOrder) int {
		return 1 + pageSize(first, last)*child
	}
	c.Course.Reviews = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.ReviewOrder) int {
		return 1 + pageSize(first, last)*child
	}
	return c
}
