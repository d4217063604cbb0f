// The peer is PostGraphile v4, installed on first use with
// "npm install --prefix DIR postgraphile@4" (DIR is -peer-dir, by default
// lectern-peer in the user's cache directory) and started (-peer) as
//
//	npx --prefix DIR postgraphile -c DATABASE_URL --schema public --port PORT --host 127.0.0.1 --disable-query-log
//
// serving POST http://127.0.0.1:PORT/graphql. -peer-cmd replaces that
// command line; {dir}, {db} and {port} in it stand for the peer directory,
// the database URL and the port.

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const defaultPeerCmd = "npx --prefix {dir} postgraphile -c {db} --schema public --port {port} --host 127.0.0.1 --disable-query-log"

// options are the command-line settings.
type options struct {
	databaseURL string
	courses     int
	concurrency int
	duration    time.Duration
	rounds      int
	scenarios   []scenario
	load        string
	peer        bool
	ceiling     bool
	peerCmd     string
	peerDir     string
	cpuProfile  string
	cache       string
	redisURL    string
}

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("loadbench: ")
	opts, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, opts)
	if err != nil && ctx.Err() != nil {
		err = errors.New("interrupted")
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	var names string
	fs := flag.NewFlagSet("loadbench", flag.ContinueOnError)
	fs.StringVar(&o.databaseURL, "database-url", "", "database to benchmark (default: a new SQLite file in a temporary directory)")
	fs.IntVar(&o.courses, "courses", 2000, "synthetic courses to seed when the database has none")
	fs.IntVar(&o.concurrency, "c", 20, "concurrent connections")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "measured duration of each scenario per round (whole seconds)")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds; each runs every scenario once per server")
	fs.StringVar(&names, "scenarios", "", "comma-separated scenarios (default all: "+strings.Join(scenarioNames(), ",")+")")
	fs.StringVar(&o.load, "load", "auto", "load generator: wrk, go, or auto (wrk when installed)")
	fs.BoolVar(&o.peer, "peer", false, "also measure PostGraphile v4 on the same PostgreSQL database")
	fs.BoolVar(&o.ceiling, "ceiling", false, "also measure each read's SQL ceiling: one hand-written statement building its JSON answer, run by pgbench")
	fs.StringVar(&o.peerCmd, "peer-cmd", defaultPeerCmd, "command line of the peer; {dir}, {db} and {port} are replaced")
	fs.StringVar(&o.peerDir, "peer-dir", defaultPeerDir(), "npm prefix the peer is installed in (postgraphile@4 is installed there when missing)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of Lectern's measured runs to this file (e.g. default.pgo)")
	fs.StringVar(&o.cache, "cache", "off", "Lectern's public-read cache: off, memory (in process; LISTEN/NOTIFY on PostgreSQL) or redis")
	fs.StringVar(&o.redisURL, "redis-url", "redis://127.0.0.1:6379", "Redis for -cache redis")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case o.concurrency < 1:
		return o, errors.New("-c must be at least 1")
	case o.rounds < 1:
		return o, errors.New("-rounds must be at least 1")
	case o.duration < time.Second || o.duration%time.Second != 0:
		return o, errors.New("-d must be a whole number of seconds (wrk and CPU profiles count in seconds)")
	case o.cache != "off" && o.cache != "memory" && o.cache != "redis":
		return o, fmt.Errorf("-cache %q: want off, memory or redis", o.cache)
	case o.load != "auto" && o.load != "wrk" && o.load != "go":
		return o, fmt.Errorf("-load %q: want wrk, go or auto", o.load)
	case o.peer && o.databaseURL != "" && !isPostgres(o.databaseURL):
		return o, errors.New("-peer needs a PostgreSQL -database-url")
	case o.peer && o.databaseURL == "":
		return o, errors.New("-peer needs -database-url: PostGraphile runs on PostgreSQL only")
	case o.ceiling && !isPostgres(o.databaseURL):
		return o, errors.New("-ceiling needs a PostgreSQL -database-url: the hand-written statements are PostgreSQL's, run by pgbench")
	case o.ceiling && o.cache != "off":
		return o, fmt.Errorf("-ceiling needs -cache off, not %s: Lectern's share of the ceiling would set its cache hits against the database's work", o.cache)
	}
	var err error
	o.scenarios, err = selectScenarios(names)
	return o, err
}

func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// run prepares the servers, verifies every scenario on each (and, with
// -ceiling, each read's statement), measures the rounds and prints the
// table. Every child process is stopped before it returns, also when ctx
// is cancelled (Ctrl-C).
func run(ctx context.Context, o options) error {
	tmp, err := os.MkdirTemp("", "loadbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	gen, err := newGenerator(o.load, tmp)
	if err != nil {
		return err
	}
	var ceiling *pgbench
	if o.ceiling {
		if ceiling, err = newPgbench(o.databaseURL, tmp); err != nil {
			return err
		}
	}
	dbURL := o.databaseURL
	if dbURL == "" {
		dbURL = "sqlite:" + filepath.Join(tmp, "bench.db")
	}
	if isPostgres(dbURL) {
		if err := ensureDatabase(ctx, dbURL); err != nil {
			return err
		}
	}
	app, err := build(ctx, tmp, dbURL)
	if err != nil {
		return err
	}
	app.cacheEnv = cacheEnv(o)
	lectern, err := app.prepare(ctx, o.courses)
	if err != nil {
		return err
	}
	defer lectern.stop()
	fix, err := app.fixture(ctx, lectern)
	if err != nil {
		return err
	}
	servers := []*server{lectern}
	if o.peer {
		peer, err := startPeer(ctx, o.peerCmd, o.peerDir, dbURL, tmp)
		if err != nil {
			return err
		}
		defer peer.stop()
		servers = append(servers, peer)
	}
	work, err := prepareWorkloads(ctx, app, o.scenarios, servers, fix)
	if err != nil {
		return err
	}
	if ceiling != nil {
		ceiling.slug = fix.courseSlug
		if err := ceiling.verify(ctx, work); err != nil {
			return err
		}
	}
	// Read before the rounds, so that a failure costs no measurement.
	driver := app.driver()
	if isPostgres(dbURL) {
		v, err := postgresVersion(ctx, dbURL)
		if err != nil {
			return err
		}
		driver += " " + v
	}
	b := &bench{gen: gen, conns: o.concurrency, duration: o.duration, ceiling: ceiling}
	if o.cpuProfile != "" {
		b.profileDir = tmp
	}
	results, err := b.rounds(ctx, o.rounds, servers, work)
	if err != nil {
		return err
	}
	printReport(os.Stdout, reportHeader(o, driver, fix.courses, gen), work, servers, results, b.ceilings, lectern.memory())
	if o.cpuProfile != "" {
		return mergeProfiles(ctx, o.cpuProfile, b.profiles)
	}
	return nil
}

// cacheEnv is Lectern's cache settings for -cache: off measures the
// database path every request takes without it.
func cacheEnv(o options) []string {
	switch o.cache {
	case "memory":
		return []string{"CACHE_TTL=5m"}
	case "redis":
		return []string{"CACHE_TTL=5m", "REDIS_URL=" + o.redisURL, fmt.Sprintf("CACHE_NAMESPACE=loadbench-%d", os.Getpid())}
	}
	return []string{"CACHE_TTL=0"}
}

// defaultPeerDir is lectern-peer in the user's cache directory.
func defaultPeerDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "lectern-peer")
}
