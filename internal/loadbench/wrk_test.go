package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want result
	}{
		{
			name: "clean",
			out: `Running 5s test @ http://127.0.0.1:8080/v1/graphql
  2 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.95ms    2.22ms  20.23ms   85.74%
    Req/Sec     3.41k   151.80     4.10k    80.00%
  Latency Distribution
     50%  850.00us
     75%    3.92ms
     90%    5.75ms
     99%   10.95ms
  34048 requests in 5.00s, 35.31MB read
Requests/sec:   6809.21
Transfer/sec:      7.06MB
`,
			want: result{requests: 34048, rps: 6809.21, p50: 850 * time.Microsecond, p99: 10950 * time.Microsecond},
		},
		{
			name: "errors",
			out: `Running 5s test @ http://127.0.0.1:8080/v1/graphql
  2 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   512.40ms  300.00ms    2.00s    70.00%
    Req/Sec    19.00     5.00     30.00     80.00%
  Latency Distribution
     50%  480.00ms
     75%  700.00ms
     90%  900.00ms
     99%    1.95s
  190 requests in 5.00s, 1.31MB read
  Socket errors: connect 1, read 2, write 0, timeout 4
  Non-2xx or 3xx responses: 12
Requests/sec:     37.95
Transfer/sec:    268.00KB
`,
			want: result{requests: 190, errors: 19, rps: 37.95, p50: 480 * time.Millisecond, p99: 1950 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWrk(tt.out)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("parseWrk = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseWrkWithoutLatencyFails(t *testing.T) {
	out := `Running 5s test @ http://127.0.0.1:8080/v1/graphql
  2 threads and 20 connections
  34048 requests in 5.00s, 35.31MB read
Requests/sec:   6809.21
`
	if _, err := parseWrk(out); err == nil || !strings.Contains(err.Error(), "--latency") {
		t.Errorf("parseWrk without a latency distribution: err = %v, want one naming --latency", err)
	}
}

func TestLuaString(t *testing.T) {
	for s, want := range map[string]string{
		`{"query":"{ a }"}`: `[[{"query":"{ a }"}]]`,
		`x]]y`:              `[=[x]]y]=]`,
		`ends]`:             `[=[ends]]=]`,
	} {
		if got := luaString(s); got != want {
			t.Errorf("luaString(%q) = %s, want %s", s, got, want)
		}
	}
}
