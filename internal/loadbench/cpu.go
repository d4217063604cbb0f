package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Where a request's time goes: the server's own CPU (its whole process
// group, which for the peer holds npx and the Node.js process it starts)
// and the database's (every process named postgres on the machine, plus
// what the postmaster has reaped from backends that ended during the run).
// Both are read from /proc before and after a measured run, so the figures
// are per request of that run; on a shared 2-core machine they say more
// about the cost of a request than the throughput does.

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat's CPU
// times: 100 on every Linux architecture Go runs on.
const clockTicks = 100

// cpuTimes is CPU time used so far.
type cpuTimes struct {
	server, database time.Duration
}

func (c cpuTimes) sub(d cpuTimes) cpuTimes {
	return cpuTimes{server: c.server - d.server, database: c.database - d.database}
}

func (c cpuTimes) add(d cpuTimes) cpuTimes {
	return cpuTimes{server: c.server + d.server, database: c.database + d.database}
}

// procStat is the part of /proc/<pid>/stat the accounting needs.
type procStat struct {
	comm         string
	ppid, pgrp   int
	utime, stime int64 // this process, in clock ticks
	cutime       int64 // its reaped children, user and system, in clock ticks
}

// parseStat reads a /proc/<pid>/stat line. The command name is in
// parentheses and may itself hold spaces or parentheses, so the fields are
// counted from the last ')'.
func parseStat(line []byte) (procStat, error) {
	open, end := bytes.IndexByte(line, '('), bytes.LastIndexByte(line, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("stat line %q: no command name", line)
	}
	f := bytes.Fields(line[end+1:])
	// After the name: state(0) ppid(1) pgrp(2) ... utime(11) stime(12) cutime(13) cstime(14).
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("stat line %q: %d fields after the name", line, len(f))
	}
	n := make([]int64, 15)
	for _, i := range []int{1, 2, 11, 12, 13, 14} {
		v, err := strconv.ParseInt(string(f[i]), 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("stat line %q: field %d: %w", line, i, err)
		}
		n[i] = v
	}
	return procStat{
		comm: string(line[open+1 : end]), ppid: int(n[1]), pgrp: int(n[2]),
		utime: n[11], stime: n[12], cutime: n[13] + n[14],
	}, nil
}

// readCPU sums the CPU time of process group group and of PostgreSQL's
// processes. A process that ends while /proc is read is skipped.
func readCPU(group int) cpuTimes {
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	procs := make(map[int]procStat, len(paths))
	for _, p := range paths {
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil {
			continue
		}
		line, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if st, err := parseStat(line); err == nil {
			procs[pid] = st
		}
	}
	var server, database int64
	for _, st := range procs {
		if st.pgrp == group {
			server += st.utime + st.stime
		}
		if st.comm == "postgres" {
			database += st.utime + st.stime
			if parent, ok := procs[st.ppid]; !ok || parent.comm != "postgres" {
				database += st.cutime // the postmaster: backends that exited
			}
		}
	}
	tick := time.Second / clockTicks
	return cpuTimes{server: time.Duration(server) * tick, database: time.Duration(database) * tick}
}
