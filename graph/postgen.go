//go:build ignore

// Command postgen rewrites two spots of gqlgen's generated code that cost
// Lectern more than the work they do; go generate runs it in graph/ right
// after gqlgen, on generated.go:
//
//   - list marshallers marshal their elements on the calling goroutine
//     (marshalSlice in lists.go) instead of one goroutine per element;
//   - objects build their @defer bookkeeping (deferredGroup in lists.go)
//     only when one of their fields is deferred, instead of computing
//     their response path and allocating a field set and a map for each
//     object of every response.
//
// Each rewrite swaps one call for a hand-written function with the same
// signature and meaning. postgen fails when a pattern is not found, so a
// change in gqlgen's output is noticed rather than silently undoing it.
package main

import (
	"bytes"
	"fmt"
	"os"
)

const path = "generated.go"

var rewrites = []struct{ from, to string }{
	{"graphql.MarshalSliceConcurrently(", "marshalSlice("},
	{"deferred := graphql.NewDeferredGroup(ctx)", "deferred := deferredGroup(ctx, fields)"},
}

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
	if err := os.WriteFile(path, src, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "postgen:", err)
	os.Exit(1)
}
