// Command loadbench is Lectern's rerunnable load benchmark. It builds the
// server once (as "go build" would, so a default.pgo in the main package
// applies), prepares a database, starts "lectern serve" and measures a mix
// of GraphQL requests under concurrent load, printing throughput, latency
// and, from the server's diagnostics listener (DEBUG_ADDR), SQL statements,
// heap bytes and allocations per request, garbage collections and RSS.
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
// Refreshing the profile that guides the server's build:
//
//	go run ./internal/loadbench -cpuprofile default.pgo -database-url 'postgres://…/lectern_bench?sslmode=disable'
//
// Load comes from wrk when it is installed, otherwise from a built-in
// generator (-load). Progress goes to standard error, the table to
// standard output; "go run ./internal/loadbench -h" lists every flag.
package main
