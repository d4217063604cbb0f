package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrk drives the wrk HTTP benchmarking tool, with a Lua script that turns
// its requests into the GraphQL POSTs.
type wrk struct {
	script string // where the Lua script is written
}

func (wrk) name() string { return "wrk" }

func (w wrk) run(ctx context.Context, t traffic, conns int, d time.Duration) (result, error) {
	threads := loadThreads(conns)
	if err := os.WriteFile(w.script, []byte(t.luaScript(threads)), 0o600); err != nil {
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, "wrk",
		"-t"+strconv.Itoa(threads),
		"-c"+strconv.Itoa(conns),
		"-d"+strconv.Itoa(int(d/time.Second))+"s",
		"--latency", "-s", w.script, t.target())
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	return parseWrk(string(out))
}

// luaScript sets wrk's request to r, for any number of threads.
func (r request) luaScript(int) string {
	var b strings.Builder
	b.WriteString("wrk.method = \"POST\"\n")
	b.WriteString("wrk.body = " + luaString(string(r.body)) + "\n")
	b.WriteString("wrk.headers[\"Content-Type\"] = \"application/json\"\n")
	if r.token != "" {
		b.WriteString("wrk.headers[\"Authorization\"] = " + luaString("Bearer "+r.token) + "\n")
	}
	return b.String()
}

// wrkThreadIDs is the part of a wrk script that numbers the threads from
// 1 in the global id of each: setup runs in wrk's main Lua state once per
// thread, in order, before the thread's own init.
const wrkThreadIDs = `local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
`

// luaString quotes s as a Lua long string, whose content is taken
// literally: [==[s]==], with enough "=" that nothing in s (nor a "]" at its
// end) closes it early. Lua drops a newline right after the opening
// bracket, so s must not start with one; JSON and tokens do not.
func luaString(s string) string {
	level := ""
	for strings.Contains(s+"]", "]"+level+"]") {
		level += "="
	}
	return "[" + level + "[" + s + "]" + level + "]"
}

// parseWrk reads the figures of a "wrk --latency" report: requests,
// Requests/sec, the 50% and 99% latencies, and as errors the socket errors
// and the "Non-2xx or 3xx responses" (which wrk counts from status 400).
func parseWrk(out string) (result, error) {
	var res result
	var seen struct{ count, rate, p50, p99 bool }
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		var err error
		switch {
		case len(f) == 0:
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			res.requests, err = strconv.ParseInt(f[0], 10, 64)
			seen.count = true
		case len(f) == 2 && f[0] == "Requests/sec:":
			res.rps, err = strconv.ParseFloat(f[1], 64)
			seen.rate = true
		case len(f) == 2 && f[0] == "50%":
			res.p50, err = time.ParseDuration(f[1])
			seen.p50 = true
		case len(f) == 2 && f[0] == "99%":
			res.p99, err = time.ParseDuration(f[1])
			seen.p99 = true
		case strings.HasPrefix(line, "  Socket errors:"):
			var connect, read, write, timeout int64
			_, err = fmt.Sscanf(strings.TrimSpace(line), "Socket errors: connect %d, read %d, write %d, timeout %d", &connect, &read, &write, &timeout)
			res.errors += connect + read + write + timeout
		case strings.HasPrefix(line, "  Non-2xx or 3xx responses:"):
			var n int64
			_, err = fmt.Sscanf(strings.TrimSpace(line), "Non-2xx or 3xx responses: %d", &n)
			res.errors += n
		}
		if err != nil {
			return result{}, fmt.Errorf("wrk output %q: %w", strings.TrimSpace(line), err)
		}
	}
	if !seen.count || !seen.rate || !seen.p50 || !seen.p99 {
		return result{}, fmt.Errorf("wrk output lacks requests, Requests/sec or the 50%%/99%% latencies (was --latency given?):\n%s", out)
	}
	return res, nil
}
