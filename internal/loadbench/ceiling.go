package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The SQL ceiling (-ceiling) is what the performance goal measures each
// read against: the throughput of one hand-written PostgreSQL statement
// that builds the same JSON answer (scenario.ceiling), run by pgbench on
// the same machine from as many connections for as long as the servers'
// runs. It is an upper bound: the statement reads published rows and
// nothing else, with no row rules, session lookup or authorization, no
// GraphQL parsing and no HTTP.

// ceilingRun is one measured pgbench run of a read's statement.
type ceilingRun struct {
	tps          float64 // statements per second, without connection set-up
	transactions int64
	// p50 and p99 are the statement's latencies, from pgbench's log of
	// every transaction: what the database alone answers in at the
	// servers' concurrency.
	p50, p99 time.Duration
	// dbCPU is the CPU time PostgreSQL used during the run.
	dbCPU time.Duration
}

// pgbench runs the reads' statements through the pgbench tool, each as a
// script of one statement, prepared once per connection as Lectern's
// driver does (-M prepared).
type pgbench struct {
	bin   string
	dbURL string
	dir   string // absolute; the scripts and the logs are written here
	slug  string // the fixture's course, :slug in the statements
}

// newPgbench finds pgbench, so that a missing one stops the benchmark
// before it builds or starts anything.
func newPgbench(dbURL, dir string) (*pgbench, error) {
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		return nil, fmt.Errorf("-ceiling runs pgbench, which is not on PATH (Debian ships it with the server: apt-get install postgresql): %w", err)
	}
	// pgbench writes its logs relative to its working directory, and
	// pgbenchLatencies looks for them relative to ours.
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	return &pgbench{bin: bin, dbURL: dbURL, dir: dir}, nil
}

// verify runs each read's statement once through database/sql and checks
// that it answers Lectern's values in Lectern's order, as prepareWorkloads
// checks the peer's: the ceiling then reads the same rows with the same
// fields, and the figures compare like with like.
func (p *pgbench) verify(ctx context.Context, work []workload) error {
	db, err := sql.Open("postgres", p.dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, w := range work {
		for _, r := range w.reads {
			if r.ceiling == "" {
				continue
			}
			query, args := bindSlug(r.ceiling, p.slug)
			var data []byte
			if err := db.QueryRowContext(ctx, query, args...).Scan(&data); err != nil {
				return fmt.Errorf("scenario %s: SQL ceiling: %w", r.name, err)
			}
			values, err := answerValues(data)
			if err != nil {
				return fmt.Errorf("scenario %s: SQL ceiling: %w", r.name, err)
			}
			if k := firstDifference(r.values, values); k >= 0 {
				return fmt.Errorf("scenario %s: the SQL ceiling answers differently from lectern at value %d: %q, not %q",
					r.name, k, at(values, k), at(r.values, k))
			}
			log.Printf("scenario %s: the SQL ceiling answers the same %d values (%d bytes of JSON)", r.name, len(values), len(data))
		}
	}
	return nil
}

// ceilings are the statements of w's SQL ceiling: its read's, or every
// read's of a mix (prepareWorkloads refuses a mix with some and not
// others); none for a write or a read without one.
func (w workload) ceilings() []string {
	var out []string
	for _, r := range w.reads {
		if r.ceiling == "" {
			return nil
		}
		out = append(out, r.ceiling)
	}
	return out
}

// bindSlug turns the pgbench variable :slug of a statement into the
// placeholder $1 bound to slug, for database/sql.
func bindSlug(statement, slug string) (string, []any) {
	if !strings.Contains(statement, ":slug") {
		return statement, nil
	}
	return strings.ReplaceAll(statement, ":slug", "$1"), []any{slug}
}

// noGroup is a process group no process is in: readCPU then reads the
// database's CPU time alone.
const noGroup = -1

// measure runs w's statements (pgbench picks one at random for each
// transaction, with equal weights) from conns connections for d, after a
// warm-up of its own as the servers get, and reads the database's CPU time
// over the measured run and, from pgbench's log of its transactions (-l,
// named after label), their latencies. Only the measured run is logged:
// the warm-up's latencies are not wanted.
func (p *pgbench) measure(ctx context.Context, w workload, conns int, d time.Duration, label string) (ceilingRun, error) {
	var scripts []string
	for k, statement := range w.ceilings() {
		script := filepath.Join(p.dir, fmt.Sprintf("ceiling-%s-%d.sql", w.name, k))
		if err := os.WriteFile(script, []byte(statement+";\n"), 0o600); err != nil {
			return ceilingRun{}, err
		}
		scripts = append(scripts, "-f", script)
	}
	if _, err := p.run(ctx, scripts, conns, warmup); err != nil {
		return ceilingRun{}, fmt.Errorf("warm-up: %w", err)
	}
	logPrefix := filepath.Join(p.dir, "ceiling-"+label+".log")
	before := readCPU(noGroup)
	c, err := p.run(ctx, scripts, conns, d, "-l", "--log-prefix="+logPrefix)
	c.dbCPU = readCPU(noGroup).sub(before).database
	// After a failed run the logs stay behind for run's temporary
	// directory to take with it.
	if err == nil {
		c.p50, c.p99, err = pgbenchLatencies(logPrefix)
	}
	return c, err
}

// run runs pgbench with scripts (its -f options): no vacuum first (-n),
// prepared statements, conns clients on as many threads as wrk uses, for
// d, with the options more besides.
func (p *pgbench) run(ctx context.Context, scripts []string, conns int, d time.Duration, more ...string) (ceilingRun, error) {
	args := []string{"-n", "-M", "prepared",
		"-c", strconv.Itoa(conns), "-j", strconv.Itoa(loadThreads(conns)),
		"-T", strconv.Itoa(int(d / time.Second))}
	args = append(args, more...)
	args = append(args, scripts...)
	args = append(args, "-D", "slug="+p.slug, p.dbURL)
	cmd := exec.CommandContext(ctx, p.bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return ceilingRun{}, fmt.Errorf("pgbench: %w\n%s", err, out)
	}
	return parsePgbench(string(out))
}

// parsePgbench reads the figures of a pgbench report: the transactions
// processed and the rate "without initial connection time" (the servers'
// connections are open before their measured runs too). A failed
// transaction is an error: the statement must run as written.
func parsePgbench(out string) (ceilingRun, error) {
	var c ceilingRun
	var seen struct{ count, rate bool }
	for line := range strings.Lines(out) {
		var err error
		switch {
		case strings.HasPrefix(line, "number of transactions actually processed:"):
			_, err = fmt.Sscanf(strings.TrimPrefix(line, "number of transactions actually processed:"), "%d", &c.transactions)
			seen.count = true
		case strings.HasPrefix(line, "number of failed transactions:"):
			var failed int64
			_, err = fmt.Sscanf(strings.TrimPrefix(line, "number of failed transactions:"), "%d", &failed)
			if err == nil && failed > 0 {
				err = fmt.Errorf("%d failed", failed)
			}
		case strings.HasPrefix(line, "tps = ") && strings.Contains(line, "(without initial connection time)"):
			_, err = fmt.Sscanf(line, "tps = %g", &c.tps)
			seen.rate = true
		}
		if err != nil {
			return ceilingRun{}, fmt.Errorf("pgbench output %q: %w", strings.TrimSpace(line), err)
		}
	}
	if !seen.count || !seen.rate {
		return ceilingRun{}, errors.New("pgbench output lacks the transactions processed or the tps without initial connection time:\n" + out)
	}
	return c, nil
}

// pgbenchLatencies reads the logs "pgbench -l --log-prefix=prefix" wrote,
// one per thread (prefix.PID, prefix.PID.1, …), and answers the p50 and
// p99 of all their transactions, nearest-rank as the built-in generator
// computes its own. It removes the logs: a run's may take tens of
// megabytes, and every round writes new ones.
func pgbenchLatencies(prefix string) (p50, p99 time.Duration, err error) {
	files, err := filepath.Glob(prefix + ".*")
	if err != nil {
		return 0, 0, err
	}
	var all []time.Duration
	for _, f := range files {
		latencies, err := readPgbenchLog(f)
		if rerr := os.Remove(f); err == nil {
			err = rerr
		}
		if err != nil {
			return 0, 0, err
		}
		all = append(all, latencies...)
	}
	if len(all) == 0 {
		return 0, 0, fmt.Errorf("pgbench logged no transaction in %s.*", prefix)
	}
	slices.Sort(all)
	return percentile(all, 0.50), percentile(all, 0.99), nil
}

// readPgbenchLog reads the latencies of a pgbench transaction log, whose
// lines are "client_id transaction_no time script_no time_epoch time_us",
// time being the transaction's latency in microseconds; fields that later
// options add are ignored. A line that does not read so is an error: a
// latency the log does not give cannot be counted as any value. pgbench
// reads its clock once per pass over a connection, so a statement answered
// before it first looks (tens of microseconds, as SELECT 1) logs 0; the
// ceilings' statements, which build JSON, take longer than that.
func readPgbenchLog(path string) ([]time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var latencies []time.Duration
	lines := bufio.NewScanner(f)
	for n := 1; lines.Scan(); n++ {
		fields := strings.Fields(lines.Text())
		if len(fields) < 6 {
			return nil, fmt.Errorf("pgbench log %s, line %d %q: want 6 fields or more", path, n, lines.Text())
		}
		us, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("pgbench log %s, line %d %q: latency: %w", path, n, lines.Text(), err)
		}
		latencies = append(latencies, time.Duration(us)*time.Microsecond)
	}
	if err := lines.Err(); err != nil {
		return nil, fmt.Errorf("pgbench log %s: %w", path, err)
	}
	return latencies, nil
}
