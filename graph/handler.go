package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"

	"lectern/internal/access"
	"lectern/internal/auth"
	"lectern/internal/authoring"
	"lectern/internal/cache"
	"lectern/internal/catalog"
	"lectern/internal/database"
	"lectern/internal/export"
	"lectern/internal/idempotency"
	"lectern/internal/jobs"
	"lectern/internal/learning"
	"lectern/internal/loader"
	"lectern/internal/media"
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
	// Catalog answers the public course catalogue (listings, filters,
	// lookups).
	Catalog *catalog.Service
	// Media is the service behind uploads and asset URLs.
	Media *media.Service
	// Export is the service behind requestExport and viewer.exports.
	Export *export.Service
	// Jobs is the job queue as administrators see and steer it.
	Jobs *jobs.Admin
	// Introspection answers __schema and __type queries.
	Introspection bool
	// HideSuggestions leaves "Did you mean …?" out of validation errors.
	HideSuggestions bool
	// Idempotency runs mutation requests sent with an Idempotency-Key
	// once; nil ignores the header.
	Idempotency *idempotency.Service
}

// NewHandler returns the GraphQL endpoint: POST with a JSON body, errors
// presented with codes and request IDs, every bound checked before anything
// runs (the document's size and shape before validation; page sizes, depth,
// string arguments and cost after it), and every root field authorized
// against the policy.
func NewHandler(o Options) http.Handler {
	es := costed{NewExecutableSchema(Config{
		Resolvers: &Resolver{
			client:    o.DB.Ent,
			access:    o.Authorizer,
			catalog:   o.Catalog,
			auth:      o.Auth,
			learning:  o.Learning,
			authoring: o.Authoring,
			media:     o.Media,
			export:    o.Export,
			jobs:      o.Jobs,
		},
	})}
	srv := handler.New(es)
	srv.AddTransport(post{idem: o.Idempotency})
	srv.SetErrorPresenter(presenter(o.Logger))
	srv.SetRecoverFunc(recoverer(o.Logger))
	srv.SetParserTokenLimit(MaxTokens)
	srv.SetDisableSuggestion(o.HideSuggestions)
	if o.Introspection {
		use(srv, extension.Introspection{})
	}
	queries := newQueryCache()
	srv.SetQueryCache(queries)
	use(srv, newDocumentLimits(es.Schema(), queries))
	use(srv, limits{schema: es.Schema(), introspection: o.Introspection})
	use(srv, extension.FixedComplexityLimit(MaxComplexity))
	srv.AroundRootFields(authorize(o.Authorizer))
	srv.AroundRootFields(sharedLookups)
	srv.AroundResponses(capErrors)
	srv.AroundResponses(cacheable)
	if o.Debug {
		srv.AroundResponses(debugStatements)
	}
	return perRequest(o, srv)
}

// use adds an extension to srv. It refuses one that intercepts fields:
// postgen.go marshals plain scalar fields without gqlgen's per-field
// set-up, which is where field interceptors run, so such an extension
// would silently miss those fields. Adding one means dropping that
// rewrite first.
func use(srv *handler.Server, ext graphql.HandlerExtension) {
	if _, ok := ext.(graphql.FieldInterceptor); ok {
		panic(fmt.Sprintf("graph: extension %s intercepts fields, which postgen's plain-field rewrite would bypass", ext.ExtensionName()))
	}
	srv.Use(ext)
}

// perRequest gives each request its own dataloaders, its memo of root
// fields and, in debug mode, a log of its SQL statements.
func perRequest(o Options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := loader.NewContext(access.WithRequest(withLookups(cache.WithRequest(r.Context()))), loader.New(o.DB.Ent, o.LoaderWait))
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

// cacheable tells the public-read cache (internal/cache) that the response
// answers a query without errors; only such responses are stored.
func cacheable(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil && len(resp.Errors) == 0 && graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil && op.Operation == ast.Query {
			cache.Cacheable(ctx)
		}
	}
	return resp
}

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
