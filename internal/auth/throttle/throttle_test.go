package throttle_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"lectern/ent"
	"lectern/ent/throttlebucket"
	"lectern/internal/apperr"
	"lectern/internal/auth/throttle"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

type bundle struct {
	db    *database.DB
	clock *testenv.Clock
	lim   *throttle.Limiter
}

func setup(t *testing.T, db *database.DB) *bundle {
	t.Helper()
	c := testenv.NewClock(t0)
	return &bundle{db: db, clock: c, lim: throttle.New(db, c.Now)}
}

// buckets returns every stored bucket, read through ent so the test also
// proves ent reads what the raw statements wrote.
func (b *bundle) buckets(t *testing.T) []*ent.ThrottleBucket {
	t.Helper()
	all, err := b.db.Ent.ThrottleBucket.Query().Order(ent.Asc(throttlebucket.FieldKey)).All(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatalf("read buckets: %v", err)
	}
	return all
}

// bucket returns the one bucket stored for rule, failing unless there is
// exactly one.
func (b *bundle) bucket(t *testing.T, rule throttle.Rule) *ent.ThrottleBucket {
	t.Helper()
	var found []*ent.ThrottleBucket
	for _, bk := range b.buckets(t) {
		if strings.HasPrefix(bk.Key, rule.Name+":") {
			found = append(found, bk)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d buckets for rule %s; want 1", len(found), rule.Name)
	}
	return found[0]
}

func (b *bundle) hit(t *testing.T, r throttle.Rule, subject string) error {
	t.Helper()
	return b.lim.Hit(context.Background(), r, subject)
}

func mustAllow(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("attempt refused: %v", err)
	}
}

// mustLimit fails unless err is RATE_LIMITED asking to wait exactly after.
func mustLimit(t *testing.T, err error, after time.Duration) {
	t.Helper()
	if code := apperr.CodeOf(err); code != apperr.RateLimited {
		t.Fatalf("got %v (code %q); want RATE_LIMITED", err, code)
	}
	if got := apperr.RetryAfterOf(err); got != after {
		t.Fatalf("retry after %s; want %s", got, after)
	}
}

func expectBucket(t *testing.T, bk *ent.ThrottleBucket, count int, ends time.Time) {
	t.Helper()
	if bk.Count != count || !bk.WindowEndsAt.Equal(ends) {
		t.Fatalf("bucket holds count %d ending %s; want %d ending %s", bk.Count, bk.WindowEndsAt.UTC(), count, ends)
	}
}

func TestHit(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Run("RefusesTheAttemptAfterLimitUntilTheWindowEnds", func(t *testing.T) {
			b := setup(t, db)
			rule := throttle.Rule{Name: "login", Limit: 3, Window: 10 * time.Minute}
			for range rule.Limit {
				mustAllow(t, b.hit(t, rule, "ann@example.com"))
				b.clock.Advance(time.Minute)
			}
			mustLimit(t, b.hit(t, rule, "ann@example.com"), 7*time.Minute)
			b.clock.Advance(5*time.Minute + 500*time.Millisecond)
			mustLimit(t, b.hit(t, rule, "ann@example.com"), time.Minute+59*time.Second+500*time.Millisecond)
			expectBucket(t, b.bucket(t, rule), 5, t0.Add(10*time.Minute))
		})
		t.Run("StartsANewWindowWhenTheWindowEnds", func(t *testing.T) {
			b := setup(t, db)
			rule := throttle.Rule{Name: "signup", Limit: 2, Window: time.Hour}
			for range 4 {
				_ = b.hit(t, rule, "198.51.100.1")
			}
			b.clock.Set(t0.Add(time.Hour))
			mustAllow(t, b.hit(t, rule, "198.51.100.1"))
			expectBucket(t, b.bucket(t, rule), 1, t0.Add(2*time.Hour))
			mustAllow(t, b.hit(t, rule, "198.51.100.1"))
			mustLimit(t, b.hit(t, rule, "198.51.100.1"), time.Hour)
		})
		t.Run("ComparesFractionalSecondsInTimeOrder", func(t *testing.T) {
			b := setup(t, db)
			// SQLite compares the stored text: "12:00:01.5+00:00" must sort
			// after "12:00:01+00:00" and "12:00:01.499999+00:00" for the
			// window to end at the right instant.
			rule := throttle.Rule{Name: "fraction", Limit: 1, Window: 1500 * time.Millisecond}
			mustAllow(t, b.hit(t, rule, "s"))
			b.clock.Set(t0.Add(time.Second))
			mustLimit(t, b.hit(t, rule, "s"), 500*time.Millisecond)
			b.clock.Set(t0.Add(1499999 * time.Microsecond))
			mustLimit(t, b.hit(t, rule, "s"), time.Microsecond)
			b.clock.Set(t0.Add(1500 * time.Millisecond))
			mustAllow(t, b.hit(t, rule, "s"))
			// The new window ends on a whole second, 12:00:03; a clock with
			// a fraction just short of it is still inside.
			expectBucket(t, b.bucket(t, rule), 1, t0.Add(3*time.Second))
			b.clock.Set(t0.Add(2999999 * time.Microsecond))
			mustLimit(t, b.hit(t, rule, "s"), time.Microsecond)
			b.clock.Set(t0.Add(3*time.Second + time.Microsecond))
			mustAllow(t, b.hit(t, rule, "s"))
		})
		t.Run("CountsRulesAndSubjectsApart", func(t *testing.T) {
			b := setup(t, db)
			login := throttle.Rule{Name: "login-apart", Limit: 1, Window: time.Minute}
			signup := throttle.Rule{Name: "signup-apart", Limit: 1, Window: time.Minute}
			mustAllow(t, b.hit(t, login, "a@example.com"))
			mustAllow(t, b.hit(t, login, "b@example.com"))
			mustAllow(t, b.hit(t, login, ""))
			mustAllow(t, b.hit(t, signup, "a@example.com"))
			mustLimit(t, b.hit(t, login, "a@example.com"), time.Minute)
			mustLimit(t, b.hit(t, login, ""), time.Minute)
		})
		t.Run("RejectsInvalidRules", func(t *testing.T) {
			b := setup(t, db)
			for _, r := range []throttle.Rule{
				{Name: "", Limit: 1, Window: time.Minute},
				{Name: "zero-limit", Limit: 0, Window: time.Minute},
				{Name: "no-window", Limit: 1},
				{Name: strings.Repeat("n", 96), Limit: 1, Window: time.Minute},
			} {
				err := b.hit(t, r, "x")
				if err == nil || apperr.CodeOf(err) == apperr.RateLimited {
					t.Errorf("Hit with %+v: %v; want an invalid-rule error", r, err)
				}
			}
		})
	})
}

func TestUndo(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		t.Run("TakesBackOneAttempt", func(t *testing.T) {
			b := setup(t, db)
			rule := throttle.Rule{Name: "login", Limit: 2, Window: time.Minute}
			mustAllow(t, b.hit(t, rule, "ann"))
			mustAllow(t, b.hit(t, rule, "ann"))
			if err := b.lim.Undo(ctx, rule, "ann"); err != nil {
				t.Fatal(err)
			}
			mustAllow(t, b.hit(t, rule, "ann"))
			mustLimit(t, b.hit(t, rule, "ann"), time.Minute)
		})
		t.Run("NeverGoesBelowZero", func(t *testing.T) {
			b := setup(t, db)
			rule := throttle.Rule{Name: "zero", Limit: 1, Window: time.Minute}
			if err := b.lim.Undo(ctx, rule, "ann"); err != nil {
				t.Fatalf("undo without a bucket: %v", err)
			}
			mustAllow(t, b.hit(t, rule, "ann"))
			for range 3 {
				if err := b.lim.Undo(ctx, rule, "ann"); err != nil {
					t.Fatal(err)
				}
			}
			expectBucket(t, b.bucket(t, rule), 0, t0.Add(time.Minute))
			mustAllow(t, b.hit(t, rule, "ann"))
			mustLimit(t, b.hit(t, rule, "ann"), time.Minute)
		})
		t.Run("LeavesAnEndedWindowAlone", func(t *testing.T) {
			b := setup(t, db)
			rule := throttle.Rule{Name: "ended", Limit: 1, Window: time.Minute}
			mustAllow(t, b.hit(t, rule, "ann"))
			b.clock.Advance(time.Minute)
			if err := b.lim.Undo(ctx, rule, "ann"); err != nil {
				t.Fatal(err)
			}
			expectBucket(t, b.bucket(t, rule), 1, t0.Add(time.Minute))
		})
	})
}

func TestClear(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		t.Run("ForgetsTheSubjectsAttempts", func(t *testing.T) {
			b := setup(t, db)
			rule := throttle.Rule{Name: "clear", Limit: 2, Window: time.Hour}
			for range 3 {
				_ = b.hit(t, rule, "ann")
				_ = b.hit(t, rule, "bob")
			}
			if err := b.lim.Clear(ctx, rule, "ann"); err != nil {
				t.Fatal(err)
			}
			if err := b.lim.Blocked(ctx, rule, "ann"); err != nil {
				t.Fatalf("blocked after clear: %v", err)
			}
			mustLimit(t, b.lim.Blocked(ctx, rule, "bob"), time.Hour)
			// A fresh window starts at the next attempt.
			b.clock.Advance(10 * time.Minute)
			mustAllow(t, b.hit(t, rule, "ann"))
			mustAllow(t, b.hit(t, rule, "ann"))
			mustLimit(t, b.hit(t, rule, "ann"), time.Hour)
		})
		t.Run("WithoutABucketDoesNothing", func(t *testing.T) {
			b := setup(t, db)
			rule := throttle.Rule{Name: "clear.none", Limit: 1, Window: time.Minute}
			if err := b.lim.Clear(ctx, rule, "ann"); err != nil {
				t.Fatal(err)
			}
			mustAllow(t, b.hit(t, rule, "ann"))
		})
		t.Run("RejectsAnInvalidRule", func(t *testing.T) {
			b := setup(t, db)
			if err := b.lim.Clear(ctx, throttle.Rule{Name: "bad"}, "ann"); err == nil {
				t.Fatal("Clear accepted a rule with no limit or window")
			}
		})
	})
}

func TestBlocked(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		b := setup(t, db)
		ctx := context.Background()
		rule := throttle.Rule{Name: "mfa", Limit: 3, Window: 5 * time.Minute}
		blocked := func() error {
			t.Helper()
			var err error
			for range 4 {
				err = b.lim.Blocked(ctx, rule, "ann")
			}
			return err
		}
		if err := blocked(); err != nil {
			t.Fatalf("fresh subject: %v", err)
		}
		if n := len(b.buckets(t)); n != 0 {
			t.Fatalf("Blocked stored %d buckets; want none", n)
		}
		mustAllow(t, b.hit(t, rule, "ann"))
		mustAllow(t, b.hit(t, rule, "ann"))
		if err := blocked(); err != nil {
			t.Fatalf("one attempt left: %v", err)
		}
		mustAllow(t, b.hit(t, rule, "ann"))
		b.clock.Advance(time.Minute)
		mustLimit(t, blocked(), 4*time.Minute)
		expectBucket(t, b.bucket(t, rule), 3, t0.Add(5*time.Minute))
		if err := b.lim.Blocked(ctx, rule, "bob"); err != nil {
			t.Fatalf("another subject: %v", err)
		}
		b.clock.Set(t0.Add(5 * time.Minute))
		if err := blocked(); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestPrune(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		b := setup(t, db)
		ctx := context.Background()
		short := throttle.Rule{Name: "short", Limit: 5, Window: time.Minute}
		long := throttle.Rule{Name: "long", Limit: 5, Window: time.Hour}
		mustAllow(t, b.hit(t, short, "first"))
		b.clock.Advance(30 * time.Second)
		mustAllow(t, b.hit(t, short, "second"))
		mustAllow(t, b.hit(t, long, "first"))

		prune := func(want int) {
			t.Helper()
			n, err := b.lim.Prune(ctx)
			if err != nil || n != want {
				t.Fatalf("Prune at %s = %d, %v; want %d", b.clock.Now().Sub(t0), n, err, want)
			}
		}
		prune(0)
		b.clock.Set(t0.Add(time.Minute))
		prune(1)
		if n := len(b.buckets(t)); n != 2 {
			t.Fatalf("%d buckets left; want 2", n)
		}
		b.clock.Set(t0.Add(90 * time.Second))
		prune(1)
		prune(0)
		expectBucket(t, b.bucket(t, long), 1, t0.Add(30*time.Second+time.Hour))
	})
}

func TestKeys(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		b := setup(t, db)
		rule := throttle.Rule{Name: "login", Limit: 5, Window: time.Minute}
		subjects := []string{"Alice.Smith@Example.com", "2001:db8::1", ""}
		want := map[string]bool{}
		for _, s := range subjects {
			mustAllow(t, b.hit(t, rule, s))
			sum := sha256.Sum256([]byte(s))
			want["login:"+hex.EncodeToString(sum[:16])] = true
		}
		for _, bk := range b.buckets(t) {
			if !want[bk.Key] {
				t.Errorf("unexpected key %q", bk.Key)
			}
			delete(want, bk.Key)
			for _, s := range subjects[:2] {
				for _, part := range []string{s, strings.ToLower(s), "alice", "example.com", "2001:db8"} {
					if strings.Contains(strings.ToLower(bk.Key), strings.ToLower(part)) {
						t.Errorf("key %q contains %q", bk.Key, part)
					}
				}
			}
		}
		if len(want) != 0 {
			t.Errorf("keys never stored: %v", want)
		}
	})
}

// TestStoredWindowEnd checks that a window end computed from a clock in
// any zone is stored as the same instant, and on SQLite as UTC text in the
// one format whose text order is time order.
func TestStoredWindowEnd(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		india := time.FixedZone("IST", 5*3600+1800)
		c := testenv.NewClock(t0.In(india).Add(250 * time.Millisecond))
		lim := throttle.New(db, c.Now)
		rule := throttle.Rule{Name: "zone", Limit: 1, Window: time.Minute}
		mustAllow(t, lim.Hit(context.Background(), rule, "ann"))
		b := &bundle{db: db}
		expectBucket(t, b.bucket(t, rule), 1, t0.Add(time.Minute+250*time.Millisecond))
		if db.Dialect != database.SQLite {
			return
		}
		// Concatenation hides the column's declared type, so the driver
		// hands over the stored text instead of a parsed time.
		var kind, text string
		if err := db.SQL.QueryRow(`SELECT typeof(window_ends_at), window_ends_at || '' FROM throttle_buckets`).Scan(&kind, &text); err != nil {
			t.Fatal(err)
		}
		if kind != "text" || text != "2026-11-01 12:01:00.25+00:00" {
			t.Fatalf("stored %s %q; want text %q", kind, text, "2026-11-01 12:01:00.25+00:00")
		}
	})
}

func TestConcurrentHits(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		b := setup(t, db)
		rule := throttle.Rule{Name: "burst", Limit: 10, Window: time.Minute}
		const attempts = 50
		var (
			wg               sync.WaitGroup
			mu               sync.Mutex
			allowed, refused int
			unexpected       []error
			start            = make(chan struct{})
		)
		for range attempts {
			wg.Go(func() {
				<-start
				err := b.lim.Hit(context.Background(), rule, "ann@example.com")
				mu.Lock()
				defer mu.Unlock()
				switch apperr.CodeOf(err) {
				case "":
					allowed++
				case apperr.RateLimited:
					refused++
				default:
					unexpected = append(unexpected, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(unexpected) > 0 {
			t.Fatalf("%d hits failed, first: %v", len(unexpected), unexpected[0])
		}
		if allowed != rule.Limit || refused != attempts-rule.Limit {
			t.Fatalf("%d allowed, %d refused; want %d and %d", allowed, refused, rule.Limit, attempts-rule.Limit)
		}
		expectBucket(t, b.bucket(t, rule), attempts, t0.Add(time.Minute))
	})
}
