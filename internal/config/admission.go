package config

import (
	"runtime"
	"strconv"
	"time"
)

// Admission variables: how many GraphQL requests run at once, and how long
// one may wait for its turn.
const (
	VarGraphQLConcurrency  = "GRAPHQL_CONCURRENCY"
	VarGraphQLQueueTimeout = "GRAPHQL_QUEUE_TIMEOUT"
)

// concurrencyPerCPU is GRAPHQL_CONCURRENCY's default per CPU the Go
// runtime schedules on (GOMAXPROCS, which follows a container's CPU
// limit). A request alternates between Lectern's CPU and the database's,
// so two per CPU keep both busy; more only share the CPUs between more
// half-done requests, each holding its memory and finishing later. On the
// load benchmark (2 CPUs shared with PostgreSQL and the load generator, 20
// connections) the p99 of the nested page was 64–75 ms with no bound,
// 66–72 ms at 16, 48–59 ms at 8 and 42–47 ms at 4, at the same throughput;
// progress writes, which wait on commits rather than CPUs, served about
// 15% fewer requests at 4.
const concurrencyPerCPU = 2

// DefaultGraphQLQueueTimeout is GRAPHQL_QUEUE_TIMEOUT when unset: a
// request that could not start within a second is refused with
// UNAVAILABLE and Retry-After, rather than kept waiting behind a queue
// that is not draining.
const DefaultGraphQLQueueTimeout = time.Second

const (
	maxGraphQLConcurrency  = 10000
	minGraphQLQueueTimeout = time.Millisecond
	maxGraphQLQueueTimeout = time.Minute
)

// AdmissionConfig bounds the GraphQL requests running at once.
type AdmissionConfig struct {
	// Concurrency is how many GraphQL requests execute at once
	// (GRAPHQL_CONCURRENCY); later ones wait in arrival order. 0 sets no
	// bound.
	Concurrency int
	// QueueTimeout is how long a request may wait for its turn
	// (GRAPHQL_QUEUE_TIMEOUT) before it is refused; never beyond its own
	// deadline (REQUEST_TIMEOUT).
	QueueTimeout time.Duration
}

// DefaultGraphQLConcurrency is GRAPHQL_CONCURRENCY when unset, from
// GOMAXPROCS at start.
func DefaultGraphQLConcurrency() int {
	return concurrencyPerCPU * runtime.GOMAXPROCS(0)
}

func (l *loader) admission(requestTimeout time.Duration) AdmissionConfig {
	a := AdmissionConfig{
		Concurrency:  DefaultGraphQLConcurrency(),
		QueueTimeout: l.duration(VarGraphQLQueueTimeout, DefaultGraphQLQueueTimeout, minGraphQLQueueTimeout, maxGraphQLQueueTimeout),
	}
	if v := l.lookup(VarGraphQLConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			l.reject(VarGraphQLConcurrency, "%q is not a whole number (0 sets no bound)", v)
		case n < 0 || n > maxGraphQLConcurrency:
			l.reject(VarGraphQLConcurrency, "%q is outside 0..%d", v, maxGraphQLConcurrency)
		default:
			a.Concurrency = n
		}
	}
	if a.Concurrency > 0 && a.QueueTimeout > requestTimeout && !l.rejected(VarGraphQLQueueTimeout) && !l.rejected(VarRequestTimeout) {
		l.reject(VarGraphQLQueueTimeout, "%q is longer than REQUEST_TIMEOUT (%v), which bounds the wait anyway",
			l.lookup(VarGraphQLQueueTimeout), requestTimeout)
	}
	return a
}
