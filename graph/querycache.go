package graph

import (
	"context"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Bounds of the query cache, in bytes of document text. A parsed and
// validated document takes 30 to 75 times its text in memory (the most
// for dense selections of short fields with arguments, x(a:1) x(a:1) …),
// so the cache holds at most about 19 MiB however many distinct documents
// clients send.
const (
	// QueryCacheBytes bounds the text of the documents kept.
	QueryCacheBytes = 256 << 10
	// maxCachedDocument bounds one document kept; a larger one is parsed
	// on every request, as it would be without a cache.
	maxCachedDocument = QueryCacheBytes / 8
	// maxCachedDocuments bounds their number.
	maxCachedDocuments = 1_000
)

// queryCache keeps the documents gqlgen parsed and validated, by their
// text, so a client sending the same document again (every generated
// client does, with new variables) skips both. The least recently used go
// first once the bounds above are reached.
//
// A cached document is shared by every request sending its text, at the
// same time: nothing may write to it. The limits pass makes its changes in
// a copy (rewrite.go). A document is cached only once it has passed
// documentLimits and validation, so the bounds of documentLimits need not
// be checked again for one found here (seen).
type queryCache struct {
	docs  *lru.Cache[string, *ast.QueryDocument]
	bytes *atomic.Int64
}

var _ graphql.Cache[*ast.QueryDocument] = queryCache{}

func newQueryCache() queryCache {
	bytes := &atomic.Int64{}
	docs, err := lru.NewWithEvict(maxCachedDocuments, func(query string, _ *ast.QueryDocument) {
		bytes.Add(-int64(len(query)))
	})
	if err != nil { // only for a size below 1
		panic(err)
	}
	return queryCache{docs: docs, bytes: bytes}
}

func (c queryCache) Get(_ context.Context, query string) (*ast.QueryDocument, bool) {
	return c.docs.Get(query)
}

func (c queryCache) Add(_ context.Context, query string, doc *ast.QueryDocument) {
	if len(query) > maxCachedDocument {
		return
	}
	if _, found, _ := c.docs.PeekOrAdd(query, doc); found {
		return // another request added it first
	}
	// Evictions give their bytes back (newQueryCache).
	c.bytes.Add(int64(len(query)))
	for c.bytes.Load() > QueryCacheBytes {
		if _, _, ok := c.docs.RemoveOldest(); !ok {
			return
		}
	}
}

// seen reports whether query is cached, without making it more recent.
func (c queryCache) seen(query string) bool { return c.docs.Contains(query) }
