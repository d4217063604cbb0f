package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// How long a child may take to become ready (npx resolves the package
// before PostGraphile introspects the database) and to exit once asked
// to.
const (
	readyTimeout = 2 * time.Minute
	stopTimeout  = 15 * time.Second
)

// server is a GraphQL server under test, running as a child process.
type server struct {
	name     string
	endpoint string // URL of the GraphQL endpoint
	// debug is the base URL of Lectern's diagnostics listener (DEBUG_ADDR).
	// It is empty for the peer, which has none, and whose process is not
	// the child's either (npx runs PostGraphile in a process of its own),
	// so its memory is not sampled.
	debug   string
	logPath string // the child's output, shown when it fails to start and summed up when it stops
	proc    *child
}

func (s *server) isLectern() bool { return s.debug != "" }

// start starts cmd with its output going to s.logPath and waits until
// ready reports true.
func (s *server) start(ctx context.Context, cmd *exec.Cmd, ready func() bool) error {
	out, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer out.Close() // the child writes to its own copy
	cmd.Stdout, cmd.Stderr = out, out
	if s.proc, err = start(cmd); err != nil {
		return err
	}
	if err := s.proc.waitReady(ctx, ready); err != nil {
		s.proc.stop()
		text, _ := os.ReadFile(s.logPath)
		return fmt.Errorf("%w; its output ends:\n%s", err, text[max(0, len(text)-2000):])
	}
	return nil
}

// stop stops the server and, for Lectern, says what it logged (at
// LOG_LEVEL=warn, so warnings and errors).
func (s *server) stop() {
	log.Printf("stopping %s", s.name)
	s.proc.stop()
	if !s.isLectern() {
		return
	}
	text, _ := os.ReadFile(s.logPath)
	if len(bytes.TrimSpace(text)) == 0 {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(text)), "\n")
	log.Printf("%s logged %d lines, the first ones:", s.name, len(lines))
	for _, l := range lines[:min(3, len(lines))] {
		log.Printf("  %.400s", l)
	}
}

// counters are running totals read from Lectern's /debug/vars.
type counters struct {
	totalAlloc, mallocs uint64
	numGC               uint32
	statements          int64
	requests            int64
}

func (c counters) sub(d counters) counters {
	return counters{
		totalAlloc: c.totalAlloc - d.totalAlloc,
		mallocs:    c.mallocs - d.mallocs,
		numGC:      c.numGC - d.numGC,
		statements: c.statements - d.statements,
		requests:   c.requests - d.requests,
	}
}

func (c counters) add(d counters) counters {
	return counters{
		totalAlloc: c.totalAlloc + d.totalAlloc,
		mallocs:    c.mallocs + d.mallocs,
		numGC:      c.numGC + d.numGC,
		statements: c.statements + d.statements,
		requests:   c.requests + d.requests,
	}
}

// vars reads the server's counters; ok is false when the server does not
// publish them (no diagnostics listener, or one without Lectern's totals).
func (s *server) vars(ctx context.Context) (c counters, ok bool) {
	if !s.isLectern() {
		return c, false
	}
	var v struct {
		Memstats struct {
			TotalAlloc, Mallocs uint64
			NumGC               uint32
		} `json:"memstats"`
		Lectern struct {
			SQLStatements   *int64 `json:"sql_statements"`
			GraphQLRequests *int64 `json:"graphql_requests"`
		} `json:"lectern"`
	}
	if err := getJSON(ctx, s.debug+"/debug/vars", &v); err != nil {
		return c, false
	}
	if v.Lectern.SQLStatements == nil || v.Lectern.GraphQLRequests == nil {
		return c, false
	}
	return counters{
		totalAlloc: v.Memstats.TotalAlloc,
		mallocs:    v.Memstats.Mallocs,
		numGC:      v.Memstats.NumGC,
		statements: *v.Lectern.SQLStatements,
		requests:   *v.Lectern.GraphQLRequests,
	}, true
}

// profile records a CPU profile of the next seconds into path, in the
// background; the channel answers when it is written.
func (s *server) profile(ctx context.Context, seconds int, path string) <-chan error {
	errc := make(chan error, 1)
	go func() {
		errc <- download(ctx, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", s.debug, seconds), path)
	}()
	return errc
}

// sampleRSS polls the server process's resident set size until the
// returned function is called, which answers the highest seen, in bytes.
func (s *server) sampleRSS() (stop func() int64) {
	if !s.isLectern() {
		return func() int64 { return 0 }
	}
	var (
		peak int64 // written by the poller, then, after it ends, by stop
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := func() {
		if m, err := procMemory(s.proc.pid()); err == nil {
			peak = max(peak, m.resident)
		}
	}
	wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() int64 {
		close(done)
		wg.Wait()
		sample()
		return peak
	}
}

// memory is what a process holds in memory, in bytes, as /proc reports it.
type memory struct {
	peak     int64 // VmHWM: the high-water mark of its resident set
	resident int64 // VmRSS: its resident set now
	file     int64 // RssFile: the part of it backed by files
}

// memory reads the server process's memory; zero if unknown.
func (s *server) memory() memory {
	m, _ := procMemory(s.proc.pid())
	return m
}

// procMemory reads the memory of a process from /proc.
func procMemory(pid int) (memory, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	var m memory
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[2] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "VmHWM:":
			m.peak = kb << 10
		case "VmRSS:":
			m.resident = kb << 10
		case "RssFile:":
			m.file = kb << 10
		}
	}
	return m, nil
}

// child is a started process that leads its own process group, so that
// stopping it reaches whatever it started too (npx starts PostGraphile),
// and Ctrl-C at the terminal reaches only the benchmark, which stops it.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // the exit status, once done is closed
}

func start(cmd *exec.Cmd) (*child, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// waitReady polls ready until it reports true, the process exits, ctx ends
// or readyTimeout passes.
func (c *child) waitReady(ctx context.Context, ready func() bool) error {
	deadline := time.After(readyTimeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for !ready() {
		select {
		case <-c.done:
			return fmt.Errorf("exited before it was ready: %v", c.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("not ready after %v", readyTimeout)
		case <-tick.C:
		}
	}
	return nil
}

// stop asks the process group to terminate, kills it if the leader has not
// exited within stopTimeout, and then kills whatever of the group is left.
func (c *child) stop() {
	group := -c.pid()
	_ = syscall.Kill(group, syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(stopTimeout):
		log.Printf("process %d did not stop within %v; killing it", c.pid(), stopTimeout)
		_ = syscall.Kill(group, syscall.SIGKILL)
		<-c.done
	}
	_ = syscall.Kill(group, syscall.SIGKILL)
}

// freeAddr returns a loopback address with a port free at the moment.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
