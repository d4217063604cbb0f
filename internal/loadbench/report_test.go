package main

import (
	"strings"
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
