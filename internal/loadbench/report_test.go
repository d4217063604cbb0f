package main

import (
	"fmt"
	"os"
	"path/filepath"
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
	printReport(&b, "header", work, servers, results, nil, memory{})
	lines := strings.Split(b.String(), "\n")
	if got := strings.Fields(lines[2]); strings.Join(got[:7], " ") != "course 500 500 1.00 1ms 2ms 0" {
		t.Errorf("course row: %q", lines[2])
	}
	if got := strings.Fields(lines[3]); strings.Join(got[:10], " ") != "progress 500 - - 1ms 2ms 0 - - -" {
		t.Errorf("progress row: %q", lines[3])
	}
}

// The last line gives Lectern's peak memory and how much of what it holds
// at the end is file-backed.
func TestPrintReportMemory(t *testing.T) {
	servers := []*server{{name: "lectern", debug: "http://debug"}}
	work := []workload{{scenario: scenario{name: "course"}}}
	results := [][][]measurement{{{{load: result{requests: 100, rps: 500}}}}}
	var b strings.Builder
	printReport(&b, "header", work, servers, results, nil, memory{peak: 150 << 20, resident: 130 << 20, file: 90 << 20})
	want := "Lectern's peak RSS over its whole life (VmHWM): 150 MiB; at the end 130 MiB resident, 90 MiB of it file-backed"
	if !strings.Contains(b.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, b.String())
	}
}

// The memory a process holds is read from its /proc status.
func TestProcMemory(t *testing.T) {
	m, err := procMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.peak < m.resident || m.resident <= 0 || m.file <= 0 || m.file > m.resident {
		t.Errorf("implausible memory of this process: %+v", m)
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
	printReport(&b, "header", work, servers, results, nil, memory{})
	row := strings.Fields(strings.Split(b.String(), "\n")[2])
	if got := strings.Join(row[10:14], " "); got != "2.00ms 3.00ms 1.00ms 0.50ms" {
		t.Errorf("CPU cells %q in %q", got, row)
	}
}

// With -ceiling a read shows the SQL ceiling's median, Lectern's share of
// it, its median p50 and p99 and the database's CPU per statement; a write
// shows "-" in all five.
func TestPrintReportCeiling(t *testing.T) {
	servers := []*server{{name: "lectern", debug: "http://debug"}}
	work := []workload{{scenario: scenario{name: "course"}}, {scenario: scenario{name: "progress"}}}
	m := measurement{load: result{requests: 100, rps: 500, p50: time.Millisecond, p99: 2 * time.Millisecond}}
	results := [][][]measurement{{{m}}, {{m}}}
	run := func(tps float64, p99 time.Duration) ceilingRun {
		return ceilingRun{tps: tps, transactions: 1000, p50: p99 / 10, p99: p99, dbCPU: 500 * time.Millisecond}
	}
	ceilings := [][]ceilingRun{{run(1000, 30*time.Millisecond), run(3000, 10*time.Millisecond), run(2000, 20*time.Millisecond)}, nil}
	var b strings.Builder
	printReport(&b, "header", work, servers, results, ceilings, memory{})
	lines := strings.Split(b.String(), "\n")
	head := strings.Join(strings.Fields(lines[1]), " ")
	if !strings.Contains(head, "lectern req/s SQL ceiling/s lectern/ceiling lectern p50") ||
		!strings.Contains(head, "lectern errors ceiling p50 ceiling p99 lectern CPU") ||
		!strings.Contains(head, "lectern db CPU ceiling db CPU SQL/req") {
		t.Errorf("header row: %q", lines[1])
	}
	cells := func(row []string) string {
		return strings.Join(row[:4], " ") + " " + strings.Join(row[7:9], " ") + " " + row[11]
	}
	if got := cells(strings.Fields(lines[2])); got != "course 500 2000 0.25 2ms 20ms 0.50ms" {
		t.Errorf("course row: %q", lines[2])
	}
	if got := cells(strings.Fields(lines[3])); got != "progress 500 - - - - -" {
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

// pgbench -l writes a log per thread, prefix.PID and prefix.PID.N; the
// latencies are those of all their transactions, the logs are removed, and
// another run's logs beside them are left alone.
func TestPgbenchLatencies(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "ceiling-course-1.log")
	// Thread 0 logs 1 to 50 ms, thread 1 51 to 100 ms; the second thread's
	// lines carry a field more, as pgbench's later options add.
	var first, second strings.Builder
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&first, "0 %d %d 0 1796510824 310485\n", i, i*1000)
		fmt.Fprintf(&second, "1 %d %d 0 1796510824 310614 0\n", i, (50+i)*1000)
	}
	writeLog(t, prefix+".4242", first.String())
	writeLog(t, prefix+".4242.1", second.String())
	other := filepath.Join(dir, "ceiling-course-bodies-1.log.4243")
	writeLog(t, other, "0 1 999999999 0 1796510824 310485\n")
	p50, p99, err := pgbenchLatencies(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if p50 != 50*time.Millisecond || p99 != 99*time.Millisecond {
		t.Errorf("got p50 %v, p99 %v", p50, p99)
	}
	if left, _ := filepath.Glob(prefix + ".*"); len(left) > 0 {
		t.Errorf("logs left behind: %q", left)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another run's log: %v", err)
	}
}

// A line without a latency is an error naming its log; so is a run that
// logged no transaction.
func TestPgbenchLatenciesErrors(t *testing.T) {
	dir := t.TempDir()
	for _, line := range []string{"0 1 failed 0 1796510824 310485", "0 1 325 0", ""} {
		prefix := filepath.Join(dir, "bad.log")
		writeLog(t, prefix+".4242", "0 1 325 0 1796510824 310485\n")
		writeLog(t, prefix+".4242.1", line+"\n")
		if _, _, err := pgbenchLatencies(prefix); err == nil || !strings.Contains(err.Error(), prefix+".4242.1") {
			t.Errorf("line %q: %v", line, err)
		}
	}
	empty := filepath.Join(dir, "empty.log")
	writeLog(t, empty+".4242", "")
	writeLog(t, empty+".4242.1", "")
	if _, _, err := pgbenchLatencies(empty); err == nil || !strings.Contains(err.Error(), "no transaction") {
		t.Errorf("empty logs: %v", err)
	}
	if _, _, err := pgbenchLatencies(filepath.Join(dir, "none.log")); err == nil || !strings.Contains(err.Error(), "no transaction") {
		t.Errorf("no logs: %v", err)
	}
}

func writeLog(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The ceiling needs PostgreSQL: without a database URL, or with SQLite's,
// the flag is refused. It needs Lectern's cache off: with it on, the ratio
// would set cache hits against the database's work.
func TestParseFlagsCeiling(t *testing.T) {
	for _, args := range [][]string{{"-ceiling"}, {"-ceiling", "-database-url", "sqlite:/tmp/x.db"}} {
		if _, err := parseFlags(args); err == nil || !strings.Contains(err.Error(), "-ceiling needs a PostgreSQL") {
			t.Errorf("%q: %v", args, err)
		}
	}
	for _, cache := range []string{"memory", "redis"} {
		args := []string{"-ceiling", "-cache", cache, "-database-url", "postgres://postgres@127.0.0.1/x"}
		if _, err := parseFlags(args); err == nil || !strings.Contains(err.Error(), "-ceiling needs -cache off") {
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
