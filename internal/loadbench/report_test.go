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
	printReport(&b, "header", work, servers, results, 0)
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
	printReport(&b, "header", work, servers, results, 0)
	row := strings.Fields(strings.Split(b.String(), "\n")[2])
	if got := strings.Join(row[10:14], " "); got != "2.00ms 3.00ms 1.00ms 0.50ms" {
		t.Errorf("CPU cells %q in %q", got, row)
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
