//go:build ignore

// Command postgen rewrites five spots of gqlgen's generated code that cost
// Lectern more than the work they do; go generate runs it in graph/ right
// after gqlgen, on generated.go:
//
//   - list marshallers marshal their elements on the calling goroutine
//     (marshalSlice in lists.go) instead of one goroutine per element;
//   - objects build their @defer bookkeeping (deferredGroup in lists.go)
//     only when one of their fields is deferred, instead of computing
//     their response path and allocating a field set and a map for each
//     object of every response;
//   - strings are written by marshalString (strings.go), which escapes
//     them byte by byte rather than rune by rune, with the same output;
//   - a response's data is marshalled into the request's pooled buffer
//     (dataBuffer in buffers.go) rather than a new one grown by doubling;
//   - a field that is a plain struct field of a scalar type whose
//     marshaller never fails (String, Int, Boolean, and their nullable
//     pointers) is marshalled directly, without the field context, the
//     context value, the boxed result and the recover that gqlgen sets up
//     for every field (most of the cost of a title in a list of lessons).
//     None of those can matter to such a field: reading a field of a
//     non-nil object cannot fail or panic, the marshaller reports no
//     error, and Lectern has no field middleware (AroundFields), which
//     these fields would skip: TestNoFieldMiddleware keeps it so.
//
// Each rewrite swaps code for a hand-written equivalent with the same
// meaning. postgen fails when a pattern is not found, so a change in
// gqlgen's output is noticed rather than silently undoing it.
package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
)

const path = "generated.go"

var rewrites = []struct{ from, to string }{
	{"graphql.MarshalSliceConcurrently(", "marshalSlice("},
	{"deferred := graphql.NewDeferredGroup(ctx)", "deferred := deferredGroup(ctx, fields)"},
	{"graphql.MarshalString(", "marshalString("},
	{"var buf bytes.Buffer\n\t\t\tdata.MarshalGQL(&buf)", "buf := dataBuffer(ctx)\n\t\t\tdata.MarshalGQL(buf)"},
}

// bytesImport is the generated file's import of bytes, which the data
// buffer rewrite leaves unused unless gqlgen uses it elsewhere too.
const bytesImport = "import (\n\t\"bytes\"\n"

func main() {
	src, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	for _, r := range rewrites {
		if !bytes.Contains(src, []byte(r.from)) {
			fail(fmt.Errorf("no %q in %s: has gqlgen's output changed?", r.from, path))
		}
		src = bytes.ReplaceAll(src, []byte(r.from), []byte(r.to))
	}
	n := 0
	src = plainField.ReplaceAllFunc(src, func(fn []byte) []byte {
		m := plainField.FindSubmatch(fn)
		if !directMarshallers[string(m[4])] {
			return fn
		}
		n++
		return fmt.Appendf(nil, "%s\n\treturn ec.%s(ctx, field.Selections, obj.%s)\n}", m[1], m[4], m[2])
	})
	if n == 0 {
		fail(fmt.Errorf("no plain scalar field in %s: has gqlgen's output changed?", path))
	}
	if !bytes.Contains(src, []byte("bytes.")) {
		src = bytes.Replace(src, []byte(bytesImport), []byte("import (\n"), 1)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		fail(err)
	}
}

// plainField is gqlgen's resolution of a field read straight from the
// object, with no resolver and no middleware of its own: $1 the function's
// signature line, $2 the struct field, $3 the Go type, $4 its marshaller.
var plainField = regexp.MustCompile(`(func \(ec \*executionContext\) _\w+\(ctx context\.Context, field graphql\.CollectedField, obj \*[\w.]+\) \(ret graphql\.Marshaler\) \{)
	return graphql\.ResolveField\(
		ctx,
		ec\.OperationContext,
		field,
		func\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{
			return ec\.fieldContext_\w+\(ctx, field\)
		\},
		func\(ctx context\.Context\) \(any, error\) \{
			return obj\.(\w+), nil
		\},
		nil,
		func\(ctx context\.Context, selections ast\.SelectionSet, v ([^)]+)\) graphql\.Marshaler \{
			return ec\.(\w+)\(ctx, selections, v\)
		\},
		true,
		(?:true|false),
	\)
\}`)

// directMarshallers never return null for a value and never report an
// error, so they need no field context (Time and Float can do both).
var directMarshallers = map[string]bool{
	"marshalNString2string":  true,
	"marshalNInt2int":        true,
	"marshalNInt2int64":      true,
	"marshalNBoolean2bool":   true,
	"marshalOString2ᚖstring": true,
	"marshalOInt2ᚖint":       true,
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "postgen:", err)
	os.Exit(1)
}
