// Command loadbench is Lectern's rerunnable load benchmark. It builds the
// server once (as "go build" would, so a default.pgo in the main package
// applies), prepares a database, starts "lectern serve" and measures a mix
// of GraphQL requests under concurrent load, printing throughput, latency
// and, from the server's diagnostics listener (DEBUG_ADDR), SQL statements,
// heap bytes and allocations per request, garbage collections and RSS.
//
// The read mix (mix) sends every read scenario in turn, each as often,
// each wrk thread, or each connection of the built-in generator, starting
// at its own place in the rotation
// (mix.go): the throughput of a frontend's traffic rather than of one
// page. Its SQL ceiling runs the reads' statements as one pgbench run with
// a script for each (-f per statement), which pgbench picks among at
// random with equal weights.
//
// One scenario writes: progress, on Lectern alone (the peer has no
// accounts; its columns show "-"). Learners bench-progress-01 to -20
// (@example.com, created on first use) are signed in and enrolled in the
// newest published course, and each request is one of them completing or
// uncompleting one of its published lessons, as the performance goal
// reads ("20 enrolled learners completing lessons of one course"). Each
// learner in turn completes every lesson, then uncompletes them, so that
// every request writes; every run starts from nothing done (the benchmark
// uncompletes all first), and no two wrk threads, or connections of the
// built-in generator up to 20, share a learner (progress.go).
//
// Against a fresh SQLite database in a temporary directory (migrated and
// seeded with 2,000 synthetic courses):
//
//	go run ./internal/loadbench
//
// Against PostgreSQL (migrated; seeded only if it has no course yet):
//
//	go run ./internal/loadbench -database-url 'postgres://postgres@127.0.0.1:5432/lectern_bench?sslmode=disable'
//
// Beside PostGraphile v4 on the same database, the servers taking turns
// within each round (installed with npm into -peer-dir on first use, or
// give -peer-cmd):
//
//	go run ./internal/loadbench -peer -database-url 'postgres://…/lectern_bench?sslmode=disable'
//
// With -ceiling (PostgreSQL only), the SQL ceiling the performance goal
// measures each read against follows the servers in every round: the read
// as one hand-written statement building the same JSON answer
// (json_build_object, json_agg; scenarios.go), run by pgbench from as many
// connections, for as long, after a warm-up of its own (ceiling.go); the
// measured run logs every transaction (-l; the warm-up runs without):
//
//	pgbench -n -M prepared -c CONNS -j THREADS -T SECONDS -l --log-prefix=PREFIX -f SCRIPT -D slug=COURSE DATABASE_URL
//
// The table adds its median statements per second, Lectern's share of it
// (the goal: at least 0.50 for every read), its median p50 and p99 from
// that log (whether a latency goal is within the database's reach at that
// concurrency) and the database's CPU time per statement. With Lectern's
// cache on (-cache memory or redis) the share would set cache hits against
// the database's work, so -ceiling is refused. Before the rounds each
// statement runs once and must answer Lectern's values, as the peer must.
// It reads published rows and no more: none of Lectern's row rules,
// session lookup or authorization, so it is meant as an upper bound:
//
//	go run ./internal/loadbench -ceiling -scenarios catalogue,nested,course,course-bodies,filters,mix -database-url 'postgres://…/lectern_bench?sslmode=disable'
//
// Refreshing the profile that guides the server's build:
//
//	go run ./internal/loadbench -cpuprofile default.pgo -database-url 'postgres://…/lectern_bench?sslmode=disable'
//
// Load comes from wrk when it is installed, otherwise from a built-in
// generator (-load). Progress goes to standard error, the table to
// standard output; "go run ./internal/loadbench -h" lists every flag.
package main
