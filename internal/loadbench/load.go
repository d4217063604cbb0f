package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// warmup is how long each scenario runs unmeasured before every measured
// run, so that connections, caches and the heap are in their steady state.
const warmup = 2 * time.Second

// loadThreads is how many threads wrk and pgbench run for conns
// connections: the same for both, so that the servers and the SQL ceiling
// meet the same load generator's share of the machine.
func loadThreads(conns int) int { return min(2, conns) }

// result is what one load run measured.
type result struct {
	requests int64
	errors   int64 // non-2xx answers and transport errors
	rps      float64
	p50, p99 time.Duration
}

// generator sends traffic from conns connections for d.
type generator interface {
	name() string
	run(ctx context.Context, t traffic, conns int, d time.Duration) (result, error)
}

// traffic is what a load generator sends to a server: a read, the same
// request over and over, or a rotation of writes (progressTraffic).
type traffic interface {
	// target is the URL every request goes to.
	target() string
	// rewind brings the server back to the state the traffic starts
	// from; it is called before every run, warm-up or measured.
	rewind(ctx context.Context) error
	// senders is for the built-in generator: connection i sends
	// senders[i]() next.
	senders(conns int) []func() request
	// luaScript is for wrk: the script sending the traffic from threads
	// threads.
	luaScript(threads int) string
}

func (r request) target() string             { return r.url }
func (request) rewind(context.Context) error { return nil }
func (r request) senders(conns int) []func() request {
	next := func() request { return r }
	out := make([]func() request, conns)
	for i := range out {
		out[i] = next
	}
	return out
}

// newGenerator picks the load generator: wrk when it is installed (for
// auto), or the built-in one.
func newGenerator(mode, dir string) (generator, error) {
	_, err := exec.LookPath("wrk")
	switch {
	case mode == "go" || mode == "auto" && err != nil:
		return goLoad{}, nil
	case err != nil:
		return nil, fmt.Errorf("-load wrk: %w", err)
	}
	return wrk{script: filepath.Join(dir, "request.lua")}, nil
}

// goLoad is the built-in generator: conns goroutines, each with a
// keep-alive connection of its own, sending the next request when the
// previous answer has been read.
type goLoad struct{}

func (goLoad) name() string { return "go" }

func (goLoad) run(ctx context.Context, t traffic, conns int, d time.Duration) (result, error) {
	transport := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	latencies := make([][]time.Duration, conns)
	errs := make([]int64, conns)
	senders := t.senders(conns)
	var wg sync.WaitGroup
	start := time.Now()
	for i, next := range senders {
		wg.Go(func() { latencies[i], errs[i] = send(runCtx, client, next) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	all := slices.Concat(latencies...)
	slices.Sort(all)
	res := result{requests: int64(len(all)), rps: float64(len(all)) / elapsed.Seconds(), p50: percentile(all, 0.50), p99: percentile(all, 0.99)}
	for _, e := range errs {
		res.errors += e
	}
	return res, nil
}

// send is one connection's loop: it sends next() until ctx ends and
// returns the latency of every answered request and the count of failures.
// A request cut short by the end of the run counts as neither.
func send(ctx context.Context, client *http.Client, next func() request) (latencies []time.Duration, errs int64) {
	for ctx.Err() == nil {
		req, err := next().httpRequest(ctx)
		if err != nil {
			return latencies, errs + 1
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		switch {
		case ctx.Err() != nil:
		case err != nil:
			errs++
		default:
			latencies = append(latencies, time.Since(start))
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				errs++
			}
		}
	}
	return latencies, errs
}

// percentile returns the nearest-rank p-quantile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, i)]
}

// measurement is one measured run of a scenario on a server.
type measurement struct {
	load result
	// cost is the difference of Lectern's counters across the run; costOK
	// is false for the peer and when the counters are not published.
	cost   counters
	costOK bool
	maxRSS int64 // highest resident set size seen, in bytes; 0 for the peer
	// cpu is the CPU time the server and the database used during the run.
	cpu cpuTimes
}

// bench runs the measured rounds.
type bench struct {
	gen      generator
	conns    int
	duration time.Duration
	// profileDir, when set, receives a CPU profile of each measured run of
	// Lectern, listed in profiles.
	profileDir string
	profiles   []string
	// ceiling, when set (-ceiling), runs each read's hand-written
	// statement after the servers have run the read, every round; ceilings
	// receives the runs, by workload.
	ceiling  *pgbench
	ceilings [][]ceilingRun
}

// rounds runs every workload on every server, rounds times. Within a round
// the servers take turns on each scenario, so both meet the same machine
// conditions, and the SQL ceiling follows them. The answer is indexed by
// workload, then server; a server that sits a scenario out has no
// measurement.
func (b *bench) rounds(ctx context.Context, rounds int, servers []*server, work []workload) ([][][]measurement, error) {
	out := make([][][]measurement, len(work))
	for i := range out {
		out[i] = make([][]measurement, len(servers))
	}
	if b.ceiling != nil {
		b.ceilings = make([][]ceilingRun, len(work))
	}
	for round := 1; round <= rounds; round++ {
		for i, w := range work {
			for j, s := range servers {
				if w.traffic[j] == nil {
					continue
				}
				log.Printf("round %d/%d: %s on %s (%v warm-up, %v measured, %d connections, %s)",
					round, rounds, w.name, s.name, warmup, b.duration, b.conns, b.gen.name())
				m, err := b.measure(ctx, s, w.traffic[j], fmt.Sprintf("%s-%d", w.name, round))
				if err != nil {
					return nil, fmt.Errorf("%s on %s: %w", w.name, s.name, err)
				}
				out[i][j] = append(out[i][j], m)
			}
			if b.ceiling == nil || w.ceilings() == nil {
				continue
			}
			log.Printf("round %d/%d: %s as hand-written SQL on pgbench (%v warm-up, %v measured, %d connections)",
				round, rounds, w.name, warmup, b.duration, b.conns)
			c, err := b.ceiling.measure(ctx, w, b.conns, b.duration, fmt.Sprintf("%s-%d", w.name, round))
			if err != nil {
				return nil, fmt.Errorf("%s SQL ceiling: %w", w.name, err)
			}
			b.ceilings[i] = append(b.ceilings[i], c)
		}
	}
	return out, nil
}

// measure warms s up with t, then measures a run of it, rewinding t before
// each, reading the CPU time the server and the database use during the
// run. For Lectern it also reads the counters before and after, samples
// the RSS during the run and, with profiling on, records a CPU profile of
// it named label.
func (b *bench) measure(ctx context.Context, s *server, t traffic, label string) (measurement, error) {
	if err := t.rewind(ctx); err != nil {
		return measurement{}, err
	}
	if _, err := b.gen.run(ctx, t, b.conns, warmup); err != nil {
		return measurement{}, fmt.Errorf("warm-up: %w", err)
	}
	if err := t.rewind(ctx); err != nil {
		return measurement{}, err
	}
	var m measurement
	before, ok := s.vars(ctx)
	var profiled <-chan error
	if b.profileDir != "" && s.isLectern() {
		path := filepath.Join(b.profileDir, "cpu-"+label+".pprof")
		b.profiles = append(b.profiles, path)
		profiled = s.profile(ctx, int(b.duration/time.Second), path)
	}
	rss := s.sampleRSS()
	cpuBefore := readCPU(s.proc.pid())
	load, err := b.gen.run(ctx, t, b.conns, b.duration)
	m.cpu = readCPU(s.proc.pid()).sub(cpuBefore)
	m.load, m.maxRSS = load, rss()
	if after, afterOK := s.vars(ctx); ok && afterOK {
		m.cost, m.costOK = after.sub(before), true
	}
	if profiled != nil {
		if perr := <-profiled; perr != nil {
			err = errors.Join(err, fmt.Errorf("CPU profile: %w", perr))
		}
	}
	return m, err
}
