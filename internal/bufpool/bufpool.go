// Package bufpool recycles the byte buffers responses are made and held in,
// so that serving a response does not leave its size in garbage behind.
package bufpool

import (
	"bytes"
	"sync"
)

// MaxKept is the largest capacity a buffer may have to be kept: one grown
// past it by a large response is left to the collector, so the pool never
// holds on to the memory of the largest response it has seen.
const MaxKept = 1 << 20

var pool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Get returns an empty buffer.
func Get() *bytes.Buffer { return pool.Get().(*bytes.Buffer) }

// Put gives b back for reuse. Nothing may use b, or a slice of its
// contents, after it is put back.
func Put(b *bytes.Buffer) {
	if b.Cap() <= MaxKept {
		b.Reset()
		pool.Put(b)
	}
}
