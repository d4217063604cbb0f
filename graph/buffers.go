package graph

import (
	"bytes"
	"context"

	"lectern/internal/bufpool"
)

// A response is made twice in memory: gqlgen marshals its data into a
// buffer, and writeResponse copies it, wrapped in the response object, into
// the one slice it writes. Both were new for every request, and the first
// grew by doubling from nothing, so a course page with its lesson bodies
// (18 KB of JSON) left about three times its size in buffers for the
// collector. Both now come from internal/bufpool and go back once the
// response is written: an io.Writer may not keep the slice it is given,
// so nothing refers to them after that.

type dataBufferKey struct{}

// dataSlot is the data buffer of the one response a request's operation
// makes, once gqlgen has asked for it.
type dataSlot struct{ buf *bytes.Buffer }

// withDataBuffer returns ctx for executing one operation whose data buffer
// comes from the pool, and release, which gives the buffer back: call it
// once the response has been written, and read nothing of the response's
// data after it.
func withDataBuffer(ctx context.Context) (context.Context, func()) {
	s := new(dataSlot)
	return context.WithValue(ctx, dataBufferKey{}, s), func() {
		if s.buf != nil {
			bufpool.Put(s.buf)
			s.buf = nil
		}
	}
}

// dataBuffer is the buffer gqlgen's generated Exec marshals a response's
// data into (go generate rewrites Exec to call it; see postgen.go): the
// pooled buffer of the operation withDataBuffer set up, or a new buffer
// where there is none or a response has already taken it (a deferred part,
// which this server's transport never sends).
func dataBuffer(ctx context.Context) *bytes.Buffer {
	s, ok := ctx.Value(dataBufferKey{}).(*dataSlot)
	if !ok || s.buf != nil {
		return new(bytes.Buffer)
	}
	s.buf = bufpool.Get()
	return s.buf
}
