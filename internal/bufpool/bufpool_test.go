package bufpool

import (
	"bytes"
	"testing"
)

func TestGetIsEmpty(t *testing.T) {
	b := Get()
	b.WriteString("a response")
	Put(b)
	for range 100 {
		if b := Get(); b.Len() != 0 {
			t.Fatalf("Get returned a buffer holding %q", b.String())
		} else {
			Put(b)
		}
	}
}

func TestLargeBuffersAreNotKept(t *testing.T) {
	large := bytes.NewBuffer(make([]byte, 0, MaxKept+1))
	large.WriteString("x")
	Put(large)
	if large.Len() != 1 {
		t.Error("a buffer over MaxKept was reset, so it may have been kept")
	}
}
