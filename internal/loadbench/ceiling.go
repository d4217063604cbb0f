package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
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
	// dbCPU is the CPU time PostgreSQL used during the run.
	dbCPU time.Duration
}

// pgbench runs the reads' statements through the pgbench tool, each as a
// script of one statement, prepared once per connection as Lectern's
// driver does (-M prepared).
type pgbench struct {
	bin   string
	dbURL string
	dir   string // the scripts are written here
	slug  string // the fixture's course, :slug in the statements
}

// newPgbench finds pgbench, so that a missing one stops the benchmark
// before it builds or starts anything.
func newPgbench(dbURL, dir string) (*pgbench, error) {
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		return nil, fmt.Errorf("-ceiling runs pgbench, which is not on PATH (Debian ships it with the server: apt-get install postgresql): %w", err)
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
		if w.ceiling == "" {
			continue
		}
		query, args := bindSlug(w.ceiling, p.slug)
		var data []byte
		if err := db.QueryRowContext(ctx, query, args...).Scan(&data); err != nil {
			return fmt.Errorf("scenario %s: SQL ceiling: %w", w.name, err)
		}
		values, err := answerValues(data)
		if err != nil {
			return fmt.Errorf("scenario %s: SQL ceiling: %w", w.name, err)
		}
		if k := firstDifference(w.values, values); k >= 0 {
			return fmt.Errorf("scenario %s: the SQL ceiling answers differently from lectern at value %d: %q, not %q",
				w.name, k, at(values, k), at(w.values, k))
		}
		log.Printf("scenario %s: the SQL ceiling answers the same %d values (%d bytes of JSON)", w.name, len(values), len(data))
	}
	return nil
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

// measure runs w's statement from conns connections for d, after a
// warm-up of its own as the servers get, and reads the database's CPU time
// over the measured run.
func (p *pgbench) measure(ctx context.Context, w workload, conns int, d time.Duration) (ceilingRun, error) {
	script := filepath.Join(p.dir, "ceiling-"+w.name+".sql")
	if err := os.WriteFile(script, []byte(w.ceiling+";\n"), 0o600); err != nil {
		return ceilingRun{}, err
	}
	if _, err := p.run(ctx, script, conns, warmup); err != nil {
		return ceilingRun{}, fmt.Errorf("warm-up: %w", err)
	}
	before := readCPU(noGroup)
	c, err := p.run(ctx, script, conns, d)
	c.dbCPU = readCPU(noGroup).sub(before).database
	return c, err
}

// run runs script with pgbench: no vacuum first (-n), prepared statements,
// conns clients on as many threads as wrk uses, for d.
func (p *pgbench) run(ctx context.Context, script string, conns int, d time.Duration) (ceilingRun, error) {
	cmd := exec.CommandContext(ctx, p.bin, "-n", "-M", "prepared",
		"-c", strconv.Itoa(conns), "-j", strconv.Itoa(loadThreads(conns)),
		"-T", strconv.Itoa(int(d/time.Second)),
		"-f", script, "-D", "slug="+p.slug, p.dbURL)
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
