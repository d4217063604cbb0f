package auth_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"lectern/ent"
	"lectern/internal/app"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/testenv"
)

// BenchmarkAccountTiming measures what an attacker timing answers would
// see: for each pair of requests that must not tell a registered address
// from a free one, both requests run in every iteration, alternating which
// goes first, through the whole HTTP handler. It reports the median time of
// each side ("<side>-ms") and the median of the per-iteration differences,
// the side named second minus the side named first ("diff-ms"), which
// shrugs off drift in machine load.
// ns/op is the time of both requests together and means little. Compare
// with:
//
//	go test ./internal/auth -run '^$' -bench AccountTiming -benchtime 60x -count 3
//
// with TEST_DATABASE_URL set for the PostgreSQL half.
func BenchmarkAccountTiming(b *testing.B) {
	dialects := []string{database.SQLite}
	if os.Getenv("TEST_DATABASE_URL") != "" {
		dialects = append(dialects, database.Postgres)
	}
	for _, d := range dialects {
		b.Run(d, func(b *testing.B) {
			bb := newTimingBench(b, d)
			bb.account(b, "known@example.com")
			off := bb.account(b, "off@example.com")
			bb.disable(b, off)

			logIn := func(email, pw string) func(int) string {
				return func(int) string {
					return bb.post(b, logInDoc, map[string]any{"input": map[string]any{"email": email, "password": pw}})
				}
			}
			signUp := func(prefix string) func(int) string {
				return func(i int) string {
					return bb.post(b, signUpDoc, map[string]any{"input": map[string]any{
						"email": fmt.Sprintf("%s%d@example.com", prefix, i), "password": "a new passphrase", "displayName": "New"}})
				}
			}
			reset := func(email string) func(int) string {
				return func(int) string { return bb.post(b, requestResetDoc, map[string]any{"email": email}) }
			}

			b.Run("LogIn/UnknownVsWrongPassword", func(b *testing.B) {
				bb.pair(b, "unknown", logIn("nobody@example.com", "a guess"), "wrong", logIn("known@example.com", "a guess"), nil)
			})
			b.Run("LogIn/UnknownVsDisabled", func(b *testing.B) {
				bb.pair(b, "unknown", logIn("nobody@example.com", timingPassword), "disabled", logIn("off@example.com", timingPassword), nil)
			})
			// Every iteration registers a fresh address and takes
			// another that was prepared for it, so neither side meets
			// a throttle bucket the other has not. The prepared
			// accounts share one stored hash: hashing for each would
			// leave the garbage of an argon2id computation to whichever
			// request comes next.
			b.Run("SignUp/FreeVsTaken", func(b *testing.B) {
				bb.pair(b, "free", signUp("free"), "taken", signUp("taken"), func(i int) {
					bb.account(b, fmt.Sprintf("taken%d@example.com", i))
				})
			})
			b.Run("RequestPasswordReset/KnownVsUnknown", func(b *testing.B) {
				bb.pair(b, "known", reset("known@example.com"), "unknown", reset("nobody@example.com"), nil)
			})
		})
	}
}

const timingPassword = "the timing passphrase"

type timingBench struct {
	*workBench
	app  *testenv.Client
	runs int
}

func newTimingBench(b *testing.B, dialect string) *timingBench {
	db := testenv.Open(b, dialect)
	w := newWorkBench(b, db)
	return &timingBench{workBench: w, app: benchApp(b, db, w.clock)}
}

// benchApp builds the handler the server runs over db, on clock, logging
// nowhere so that no log grows under the measurement. It is the one place
// the benchmark names the app's constructor.
func benchApp(b *testing.B, db *database.DB, clock *testenv.Clock) *testenv.Client {
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	cfg.Storage.Dir = b.TempDir()
	a, err := app.Build(cfg, db, slog.New(slog.NewJSONHandler(io.Discard, nil)), app.WithClock(clock.Now))
	if err != nil {
		b.Fatal(err)
	}
	return &testenv.Client{Handler: a.Handler}
}

func (bb *timingBench) account(b *testing.B, email string) *ent.User {
	return bb.workBench.account(b, email, timingPassword)
}

// pair runs a and b alternately, prepare(i) first when set, outside the
// measured time. The clock moves an hour every iteration, so no throttle
// window ever fills.
func (bb *timingBench) pair(b *testing.B, nameA string, a func(int) string, nameB string, fb func(int) string, prepare func(int)) {
	var ta, tb, diff []float64
	timed := func(f func(int) string, i int) (float64, string) {
		start := time.Now()
		body := f(i)
		return float64(time.Since(start).Microseconds()) / 1000, body
	}
	// i runs on across repeated runs (-count), so fresh addresses stay
	// fresh.
	i := bb.runs
	defer func() { bb.runs = i }()
	for b.Loop() {
		b.StopTimer()
		bb.clock.Advance(time.Hour)
		if prepare != nil {
			prepare(i)
		}
		b.StartTimer()
		var da, db float64
		var bodyA, bodyB string
		if i%2 == 0 {
			da, bodyA = timed(a, i)
			db, bodyB = timed(fb, i)
		} else {
			db, bodyB = timed(fb, i)
			da, bodyA = timed(a, i)
		}
		if bodyA != bodyB {
			b.Fatalf("%s and %s answered differently:\n%s\n%s", nameA, nameB, bodyA, bodyB)
		}
		ta, tb, diff = append(ta, da), append(tb, db), append(diff, db-da)
		i++
	}
	b.ReportMetric(median(ta), nameA+"-ms")
	b.ReportMetric(median(tb), nameB+"-ms")
	b.ReportMetric(median(diff), "diff-ms")
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// post sends a GraphQL request, always from the same client address, and
// returns its answer with what differs between any two requests (IDs,
// times) blanked.
func (bb *timingBench) post(b *testing.B, doc string, vars map[string]any) string {
	c := bb.app.NewCaller()
	c.Addr, c.Origin = "203.0.113.9", ""
	r := c.Query(b, doc, vars)
	if r.Status != http.StatusOK {
		b.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	return comparable(b, r.Raw)
}
