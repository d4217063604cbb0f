package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os/exec"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// summary is a scenario's measured runs on one server, across rounds.
type summary struct {
	rps      float64       // median of the rounds
	p50, p99 time.Duration // medians of the rounds
	errors   int64         // all rounds
	cost     counters      // all rounds; costOK is false if a round has none
	costOK   bool
	maxRSS   int64
	cpu      cpuTimes // all rounds
	requests int64    // all rounds, as the load generator counted them
}

func summarize(ms []measurement) summary {
	var s summary
	var rps []float64
	var p50, p99 []time.Duration
	s.costOK = true
	for _, m := range ms {
		rps = append(rps, m.load.rps)
		p50 = append(p50, m.load.p50)
		p99 = append(p99, m.load.p99)
		s.errors += m.load.errors
		s.cost = s.cost.add(m.cost)
		s.costOK = s.costOK && m.costOK
		s.maxRSS = max(s.maxRSS, m.maxRSS)
		s.cpu = s.cpu.add(m.cpu)
		s.requests += m.load.requests
	}
	s.rps, s.p50, s.p99 = median(rps), median(p50), median(p99)
	s.costOK = s.costOK && s.cost.requests > 0
	return s
}

func median[T ~int64 | ~float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func reportHeader(o options, driver string, courses int, gen generator) string {
	h := fmt.Sprintf("Lectern on %s (%d published courses), cache %s; %d connections from %s; per run %v warm-up, %v measured; %d round(s), medians shown",
		driver, courses, o.cache, o.concurrency, gen.name(), warmup, o.duration, o.rounds)
	if o.ceiling {
		h += fmt.Sprintf("; SQL ceiling: each read as one statement (the mix: its reads' statements) from pgbench, %d connections, %d threads", o.concurrency, loadThreads(o.concurrency))
	}
	return h
}

// printReport writes the table: per scenario, each server's throughput,
// latency ("-" for a server that sat it out) and CPU time per request, its
// own and the database's, then what Lectern's counters
// say a request costs, per request across all rounds (n/a when the server
// does not publish them). With ceilings (-ceiling; by workload, the
// rounds' runs, none for a write) it adds the SQL ceiling's median
// throughput, Lectern's share of it (the performance goal wants at least
// 0.50), its median p50 and p99 (whether a latency goal is within reach
// of the database alone at that concurrency) and the database's CPU time
// per statement.
func printReport(w io.Writer, header string, work []workload, servers []*server, results [][][]measurement, ceilings [][]ceilingRun, mem memory) {
	fmt.Fprintln(w, header)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	cols := []string{"scenario"}
	for _, s := range servers {
		cols = append(cols, s.name+" req/s")
	}
	if len(servers) == 2 {
		cols = append(cols, servers[0].name+"/"+servers[1].name)
	}
	if ceilings != nil {
		cols = append(cols, "SQL ceiling/s", servers[0].name+"/ceiling")
	}
	for _, s := range servers {
		cols = append(cols, s.name+" p50", s.name+" p99", s.name+" errors")
	}
	if ceilings != nil {
		cols = append(cols, "ceiling p50", "ceiling p99")
	}
	for _, s := range servers {
		cols = append(cols, s.name+" CPU", s.name+" db CPU")
	}
	if ceilings != nil {
		cols = append(cols, "ceiling db CPU")
	}
	cols = append(cols, "SQL/req", "KB/req", "allocs/req", "GCs", "max RSS")
	fmt.Fprintln(tw, strings.Join(cols, "\t"))
	for i, w := range work {
		sums := make([]summary, len(servers))
		ran := make([]bool, len(servers))
		row := []string{w.name}
		for j := range servers {
			sums[j], ran[j] = summarize(results[i][j]), len(results[i][j]) > 0
			row = append(row, ifRan(ran[j], fmt.Sprintf("%.0f", sums[j].rps)))
		}
		if len(servers) == 2 {
			row = append(row, ifRan(ran[0] && ran[1], fmt.Sprintf("%.2f", sums[0].rps/sums[1].rps)))
		}
		var ceiling ceilingSummary
		if ceilings != nil {
			ceiling = summarizeCeiling(ceilings[i])
			row = append(row, ifRan(ceiling.ran, fmt.Sprintf("%.0f", ceiling.tps)),
				ifRan(ran[0] && ceiling.ran, fmt.Sprintf("%.2f", sums[0].rps/ceiling.tps)))
		}
		for j, s := range sums {
			row = append(row, ifRan(ran[j], latency(s.p50)), ifRan(ran[j], latency(s.p99)), ifRan(ran[j], fmt.Sprint(s.errors)))
		}
		if ceilings != nil {
			row = append(row, ifRan(ceiling.ran, latency(ceiling.p50)), ifRan(ceiling.ran, latency(ceiling.p99)))
		}
		for j, s := range sums {
			server, database := s.cpuPerRequest()
			row = append(row, ifRan(ran[j], server), ifRan(ran[j], database))
		}
		if ceilings != nil {
			row = append(row, ifRan(ceiling.ran, ceiling.cpuPerStatement()))
		}
		row = append(row, costs(sums[0])...)
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	if mem.peak > 0 {
		fmt.Fprintf(w, "Lectern's peak RSS over its whole life (VmHWM): %s; at the end %s resident, %s of it file-backed (RssFile: mostly the executable's own pages)\n",
			mebibytes(mem.peak), mebibytes(mem.resident), mebibytes(mem.file))
	}
}

// cpuPerRequest formats the server's and the database's CPU time per
// request, in milliseconds.
func (s summary) cpuPerRequest() (server, database string) {
	if s.requests == 0 {
		return "n/a", "n/a"
	}
	per := func(d time.Duration) string {
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)/float64(s.requests))
	}
	return per(s.cpu.server), per(s.cpu.database)
}

// ceilingSummary is a read's SQL ceiling across rounds.
type ceilingSummary struct {
	ran          bool
	tps          float64       // median of the rounds
	p50, p99     time.Duration // medians of the rounds
	transactions int64         // all rounds
	dbCPU        time.Duration
}

func summarizeCeiling(runs []ceilingRun) ceilingSummary {
	c := ceilingSummary{ran: len(runs) > 0}
	var tps []float64
	var p50, p99 []time.Duration
	for _, r := range runs {
		tps = append(tps, r.tps)
		p50 = append(p50, r.p50)
		p99 = append(p99, r.p99)
		c.transactions += r.transactions
		c.dbCPU += r.dbCPU
	}
	c.tps, c.p50, c.p99 = median(tps), median(p50), median(p99)
	return c
}

// cpuPerStatement formats the database's CPU time per statement, in
// milliseconds, to set beside Lectern's db CPU per request.
func (c ceilingSummary) cpuPerStatement() string {
	if c.transactions == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fms", float64(c.dbCPU)/float64(time.Millisecond)/float64(c.transactions))
}

// ifRan is cell, or "-" for a server that did not run the scenario.
func ifRan(ran bool, cell string) string {
	if !ran {
		return "-"
	}
	return cell
}

// costs formats Lectern's per-request costs: SQL statements, heap KB and
// allocations per GraphQL request, collections, and the highest RSS.
func costs(s summary) []string {
	if !s.costOK {
		return []string{"n/a", "n/a", "n/a", "n/a", mebibytes(s.maxRSS)}
	}
	n := float64(s.cost.requests)
	return []string{
		fmt.Sprintf("%.2f", float64(s.cost.statements)/n),
		fmt.Sprintf("%.1f", float64(s.cost.totalAlloc)/n/1024),
		fmt.Sprintf("%.0f", float64(s.cost.mallocs)/n),
		fmt.Sprint(s.cost.numGC),
		mebibytes(s.maxRSS),
	}
}

func latency(d time.Duration) string {
	return d.Round(10 * time.Microsecond).String()
}

func mebibytes(b int64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

// mergeProfiles writes the CPU profiles to path as one, the way the PGO
// guide merges profiles: go tool pprof -proto.
func mergeProfiles(ctx context.Context, path string, profiles []string) error {
	args := append([]string{"tool", "pprof", "-proto", "-output", path}, profiles...)
	out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go tool pprof: %w\n%s", err, out)
	}
	log.Printf("wrote the CPU profile of %d measured runs to %s", len(profiles), path)
	return nil
}
