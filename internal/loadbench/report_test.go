package main

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// A scenario the peer sits out shows "-" in its columns and in the ratio.
func TestPrintReportSkippedServer(t *testing.T) {
	servers := []*server{{name: "lectern", debug: "http://debug"}, {name: "peer"}}
	work := []workload{{scenario: scenario{name: "course"}}, {scenario: scenario{name: "progress"}}}
	m := measurement{load: result{requests: 100, rps: 500, p50: time.Millisecond, p99: 2 * time.Millisecond}}
	results := [][][]measurement{{{m}, {m}}, {{m}, nil}}
	var b strings.Builder
	printReport(&b, "header", work, servers, results, nil, 0)
	lines := strings.Split(b.String(), "\n")
	if got := strings.Fields(lines[2]); strings.Join(got[:7], " ") != "course 500 500 1.00 1ms 2ms 0" {
		t.Errorf("course row: %q", lines[2])
	}
	if got := strings.Fields(lines[3]); strings.Join(got[:10], " ") != "progress 500 - - 1ms 2ms 0 - - -" {
		t.Errorf("progress row: %q", lines[3])
	}
}

// CPU time is shown per request for each server.
func TestPrintReportCPU(t *testing.T) {
	servers := []*server{{name: "lectern", debug: "http://debug"}, {name: "peer"}}
	work := []workload{{scenario: scenario{name: "course"}}}
	m := func(rps float64, server, db time.Duration) measurement {
		return measurement{load: result{requests: 1000, rps: rps}, cpu: cpuTimes{server: server, database: db}}
	}
	results := [][][]measurement{{{m(500, 2*time.Second, 3*time.Second)}, {m(400, time.Second, 500*time.Millisecond)}}}
	var b strings.Builder
	printReport(&b, "header", work, servers, results, nil, 0)
	row := strings.Fields(strings.Split(b.String(), "\n")[2])
	if got := strings.Join(row[10:14], " "); got != "2.00ms 3.00ms 1.00ms 0.50ms" {
		t.Errorf("CPU cells %q in %q", got, row)
	}
}

// With -ceiling a read shows the SQL ceiling's median, Lectern's share of
// it and the database's CPU per statement; a write shows "-" in all three.
func TestPrintReportCeiling(t *testing.T) {
	servers := []*server{{name: "lectern", debug: "http://debug"}}
	work := []workload{{scenario: scenario{name: "course"}}, {scenario: scenario{name: "progress"}}}
	m := measurement{load: result{requests: 100, rps: 500, p50: time.Millisecond, p99: 2 * time.Millisecond}}
	results := [][][]measurement{{{m}}, {{m}}}
	run := func(tps float64) ceilingRun {
		return ceilingRun{tps: tps, transactions: 1000, dbCPU: 500 * time.Millisecond}
	}
	ceilings := [][]ceilingRun{{run(1000), run(3000), run(2000)}, nil}
	var b strings.Builder
	printReport(&b, "header", work, servers, results, ceilings, 0)
	lines := strings.Split(b.String(), "\n")
	head := strings.Join(strings.Fields(lines[1]), " ")
	if !strings.Contains(head, "lectern req/s SQL ceiling/s lectern/ceiling lectern p50") ||
		!strings.Contains(head, "lectern db CPU ceiling db CPU SQL/req") {
		t.Errorf("header row: %q", lines[1])
	}
	row := strings.Fields(lines[2])
	if got := strings.Join(row[:4], " ") + " " + row[9]; got != "course 500 2000 0.25 0.50ms" {
		t.Errorf("course row: %q", lines[2])
	}
	row = strings.Fields(lines[3])
	if got := strings.Join(row[:4], " ") + " " + row[9]; got != "progress 500 - - -" {
		t.Errorf("progress row: %q", lines[3])
	}
}

// pgbench's report gives the transactions and the rate without the
// connections' set-up; a failed transaction is an error.
func TestParsePgbench(t *testing.T) {
	out := `pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: /tmp/ceiling-course.sql
scaling factor: 1
query mode: prepared
number of clients: 2
number of threads: 2
maximum number of tries: 1
duration: 1 s
number of transactions actually processed: 54585
number of failed transactions: 0 (0.000%)
latency average = 0.036 ms
initial connection time = 33.124 ms
tps = 56313.602337 (without initial connection time)
`
	c, err := parsePgbench(out)
	if err != nil {
		t.Fatal(err)
	}
	if c.transactions != 54585 || c.tps != 56313.602337 {
		t.Errorf("got %+v", c)
	}
	if _, err := parsePgbench(strings.Replace(out, "failed transactions: 0", "failed transactions: 3", 1)); err == nil {
		t.Error("failed transactions passed")
	}
	if _, err := parsePgbench("pgbench: error: connection to server failed\n"); err == nil {
		t.Error("a report without figures parsed")
	}
}

// The ceiling needs PostgreSQL: without a database URL, or with SQLite's,
// the flag is refused.
func TestParseFlagsCeiling(t *testing.T) {
	for _, args := range [][]string{{"-ceiling"}, {"-ceiling", "-database-url", "sqlite:/tmp/x.db"}} {
		if _, err := parseFlags(args); err == nil || !strings.Contains(err.Error(), "-ceiling needs a PostgreSQL") {
			t.Errorf("%q: %v", args, err)
		}
	}
	o, err := parseFlags([]string{"-ceiling", "-database-url", "postgres://postgres@127.0.0.1/x"})
	if err != nil || !o.ceiling {
		t.Errorf("PostgreSQL: %+v, %v", o.ceiling, err)
	}
}

// The statements' :slug becomes $1 for database/sql; one without it binds
// nothing.
func TestBindSlug(t *testing.T) {
	q, args := bindSlug("SELECT 1 FROM courses c WHERE c.slug = :slug", "go-101")
	if q != "SELECT 1 FROM courses c WHERE c.slug = $1" || len(args) != 1 || args[0] != "go-101" {
		t.Errorf("got %q %v", q, args)
	}
	if _, args := bindSlug(catalogueSQL, "go-101"); args != nil {
		t.Errorf("catalogue binds %v", args)
	}
}

// The command name may hold spaces and parentheses.
func TestParseStat(t *testing.T) {
	line := []byte("4242 (post gres) (x)) S 1 4242 4242 0 -1 4194560 1 2 3 4 150 25 7 3 20 0 1 0 5 6 7\n")
	st, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	want := procStat{comm: "post gres) (x)", ppid: 1, pgrp: 4242, utime: 150, stime: 25, cutime: 10}
	if st != want {
		t.Errorf("got %+v, want %+v", st, want)
	}
	if _, err := parseStat([]byte("4242 (x) S 1 2")); err == nil {
		t.Error("a short line parsed")
	}
}

// The process group's CPU time is read from /proc: this test's own work
// shows up in it.
func TestReadCPU(t *testing.T) {
	group := syscall.Getpgrp()
	before := readCPU(group)
	for start := time.Now(); readCPU(group).sub(before).server < 50*time.Millisecond; {
		if time.Since(start) > 20*time.Second {
			t.Fatal("20 s of spinning never showed 50 ms of CPU time")
		}
		for range 1_000_000 {
			spin++
		}
	}
}

var spin int
