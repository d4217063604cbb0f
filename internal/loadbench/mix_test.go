package main

import (
	"slices"
	"testing"
)

// testRotation is three reads, the second signed in; bodies hold what a
// Lua long string must survive.
func testRotation(url string) rotation {
	return rotation{
		{url: url, body: []byte(`{"query":"{ a }"}`)},
		{url: url, body: []byte(`{"query":"{ b(x: \"]]\") }"}`), token: "token-b"},
		{url: url, body: []byte(`{"query":"{ c }"}`)},
	}
}

// sentOf is what a request of r puts on the wire.
func sentOf(r request) sent {
	s := sent{body: string(r.body)}
	if r.token != "" {
		s.auth = "Bearer " + r.token
	}
	return s
}

// followsRotation reports whether got are consecutive requests of r, in
// its order from wherever they start.
func followsRotation(r rotation, got []sent) bool {
	start := slices.IndexFunc(r, func(q request) bool { return sentOf(q) == got[0] })
	if start < 0 {
		return false
	}
	for i, g := range got {
		if g != sentOf(r[(start+i)%len(r)]) {
			return false
		}
	}
	return true
}

func TestRotationSenders(t *testing.T) {
	r := testRotation("http://lectern.test/v1/graphql")
	senders := r.senders(4)
	for i, next := range senders {
		var got []sent
		for range 7 {
			got = append(got, sentOf(next()))
		}
		if got[0] != sentOf(r[i%len(r)]) || !followsRotation(r, got) {
			t.Errorf("connection %d sends %v, want the rotation from request %d", i, got, i%len(r))
		}
	}
}

// TestRotationLua runs wrk with the mix's script: each connection sends
// the reads in turn, each with its own headers, and the threads start at
// different places.
func TestRotationLua(t *testing.T) {
	var r rotation
	byConn := runWrkRecording(t, func(url string) traffic {
		r = testRotation(url)
		return r
	})
	var firsts []sent
	for conn, got := range byConn {
		if len(got) < len(r) || !followsRotation(r, got) {
			t.Errorf("connection %s sent %d requests out of the rotation: %.6v", conn, len(got), got)
		}
		firsts = append(firsts, got[0])
	}
	if firsts[0] == firsts[1] {
		t.Errorf("both threads start at %v", firsts[0])
	}
}
