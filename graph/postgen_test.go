package graph

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
)

// TestNoFieldMiddleware: postgen.go marshals plain scalar fields without
// gqlgen's per-field set-up, which is also where field middleware runs. A
// field middleware added to the server (AroundFields, or an extension
// that intercepts fields) would silently skip those fields; adding one
// means dropping that rewrite first.
func TestNoFieldMiddleware(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "postgen.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), ".AroundFields(") {
			t.Errorf("%s adds a field middleware, which postgen's plain-field rewrite would bypass", f)
		}
		if strings.Contains(string(src), "srv.Use(") && f != "handler.go" {
			t.Errorf("%s adds an extension without use(), which refuses field interceptors", f)
		}
	}
	if n := strings.Count(readFile(t, "handler.go"), "srv.Use("); n != 1 {
		t.Errorf("handler.go calls srv.Use %d times; extensions go through use(), its one call", n)
	}
	defer func() {
		if recover() == nil {
			t.Error("use() accepted an extension that intercepts fields")
		}
	}()
	use(handler.New(nil), fieldInterceptor{})
}

// fieldInterceptor is an extension that intercepts fields.
type fieldInterceptor struct{}

func (fieldInterceptor) ExtensionName() string                   { return "FieldInterceptor" }
func (fieldInterceptor) Validate(graphql.ExecutableSchema) error { return nil }
func (fieldInterceptor) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	return next(ctx)
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// TestPlainFieldsMarshalDirectly: the rewrite is in the generated code (go
// generate ran postgen after gqlgen), for a field of each kind it covers.
func TestPlainFieldsMarshalDirectly(t *testing.T) {
	src, err := os.ReadFile("generated.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"return ec.marshalNString2string(ctx, field.Selections, obj.Title)",
		"return ec.marshalNInt2int(ctx, field.Selections, obj.Position)",
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("generated.go lacks %q", want)
		}
	}
}
