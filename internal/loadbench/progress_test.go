package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

func TestProgressCycles(t *testing.T) {
	for _, tc := range []struct{ learners, lessons, streams int }{
		{20, 9, 2}, {20, 48, 20}, {20, 7, 1}, {20, 1, 2}, {3, 5, 3}, {5, 4, 2},
	} {
		t.Run(fmt.Sprintf("%d learners, %d lessons, %d streams", tc.learners, tc.lessons, tc.streams), func(t *testing.T) {
			cycles := progressCycles(tc.learners, tc.lessons, tc.streams)
			if len(cycles) != tc.streams {
				t.Fatalf("%d cycles, want %d", len(cycles), tc.streams)
			}
			owner := map[int]int{} // learner → stream
			for s, cycle := range cycles {
				own := map[int]bool{}
				for _, st := range cycle {
					if o, ok := owner[st.learner]; ok && o != s {
						t.Fatalf("learner %d in streams %d and %d", st.learner, o, s)
					}
					owner[st.learner], own[st.learner] = s, true
				}
				if want := 2 * tc.lessons * len(own); len(cycle) != want {
					t.Errorf("stream %d: %d steps for %d learners, want %d", s, len(cycle), len(own), want)
				}
				// Replayed twice from nothing done, every step writes and
				// each cycle ends with nothing done.
				done := map[[2]int]bool{}
				for round := range 2 {
					for i, st := range cycle {
						key := [2]int{st.learner, st.lesson}
						if done[key] == st.complete {
							t.Fatalf("stream %d, round %d, step %d (%+v) writes nothing", s, round, i, st)
						}
						done[key] = st.complete
					}
					for key, d := range done {
						if d {
							t.Fatalf("stream %d: learner %d lesson %d still done after a cycle", s, key[0], key[1])
						}
					}
				}
				// The same learner and lesson come back no sooner than
				// lessons × learners of the stream steps later, also across
				// the end of the cycle.
				gap := tc.lessons * len(own)
				last := map[[2]int]int{}
				for i := range 2 * len(cycle) {
					st := cycle[i%len(cycle)]
					key := [2]int{st.learner, st.lesson}
					if j, ok := last[key]; ok && i-j < gap {
						t.Fatalf("stream %d: learner %d lesson %d at steps %d and %d, fewer than %d apart", s, key[0], key[1], j, i, gap)
					}
					last[key] = i
				}
			}
			if len(owner) != tc.learners {
				t.Errorf("%d learners in the cycles, want %d", len(owner), tc.learners)
			}
		})
	}
}

func testProgressTraffic(url string, learners, lessons int) *progressTraffic {
	p := &progressTraffic{url: url}
	for k := range learners {
		p.tokens = append(p.tokens, fmt.Sprintf("token-%d", k))
	}
	for l := range lessons {
		p.lessons = append(p.lessons, fmt.Sprintf("lesson-%d", l))
		p.complete = append(p.complete, fmt.Appendf(nil, `{"complete":"lesson-%d"}`, l))
		p.uncomplete = append(p.uncomplete, fmt.Appendf(nil, `{"uncomplete":"lesson-%d"}`, l))
	}
	return p
}

// sent is one request as the server saw it.
type sent struct{ auth, body string }

// runWrkRecording runs wrk for a second, two threads of one connection
// each, with the script of the traffic made for the URL of a server that
// records every request it gets, and returns them by connection; it skips
// the test when wrk is not installed.
func runWrkRecording(t *testing.T, newTraffic func(url string) traffic) map[string][]sent {
	t.Helper()
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed")
	}
	var mu sync.Mutex
	byConn := map[string][]sent{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		byConn[r.RemoteAddr] = append(byConn[r.RemoteAddr], sent{r.Header.Get("Authorization"), string(body)})
		mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	script := filepath.Join(t.TempDir(), "script.lua")
	if err := os.WriteFile(script, []byte(newTraffic(srv.URL).luaScript(2)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("wrk", "-t2", "-c2", "-d1s", "--latency", "-s", script, srv.URL).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	if res, err := parseWrk(string(out)); err != nil || res.errors > 0 {
		t.Fatalf("wrk: %+v, %v\n%s", res, err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(byConn) != 2 {
		t.Fatalf("%d connections, want 2", len(byConn))
	}
	return byConn
}

func expectedSends(p *progressTraffic, cycle []progressStep) []sent {
	var want []sent
	for _, st := range cycle {
		r := p.step(st)
		want = append(want, sent{"Bearer " + r.token, string(r.body)})
	}
	return want
}

func TestProgressSenders(t *testing.T) {
	p := testProgressTraffic("http://unused", 4, 3)
	senders := p.senders(6) // 4 streams, two of them for 2 connections each
	if len(senders) != 6 {
		t.Fatalf("%d senders, want 6", len(senders))
	}
	cycles := progressCycles(4, 3, 4)
	for s, cycle := range cycles {
		want := expectedSends(p, cycle)
		var got []sent
		for i := range 2 * len(cycle) {
			next := senders[s]
			if s < 2 && i%2 == 1 {
				next = senders[s+4] // shares stream s
			}
			r := next()
			got = append(got, sent{"Bearer " + r.token, string(r.body)})
		}
		if !slices.Equal(got, slices.Concat(want, want)) {
			t.Errorf("stream %d sends %v, want its cycle twice: %v", s, got, want)
		}
	}
}

// TestProgressLua runs wrk with the script, one connection per thread,
// and checks that each connection replays one thread's cycle from its
// start, as the built-in generator would.
func TestProgressLua(t *testing.T) {
	var p *progressTraffic
	byConn := runWrkRecording(t, func(url string) traffic {
		p = testProgressTraffic(url, 5, 3)
		return p
	})
	var cycles [][]sent
	for _, cycle := range progressCycles(5, 3, 2) {
		cycles = append(cycles, expectedSends(p, cycle))
	}
	seen := map[int]bool{}
	for conn, got := range byConn {
		i := slices.IndexFunc(cycles, func(c []sent) bool { return c[0] == got[0] })
		if i < 0 || seen[i] {
			t.Fatalf("connection %s starts with %v, not at the start of a cycle of its own", conn, got[0])
		}
		seen[i] = true
		for k, s := range got {
			if want := cycles[i][k%len(cycles[i])]; s != want {
				t.Fatalf("connection %s, request %d: %v, want %v (cycle %d)", conn, k, s, want, i)
			}
		}
		if len(got) < 2*len(cycles[i]) {
			t.Errorf("connection %s sent %d requests, fewer than two cycles of %d", conn, len(got), len(cycles[i]))
		}
	}
}
