package throttle

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"lectern/internal/apperr"
	"lectern/internal/database"
)

// Rule is one throttled action: at most Limit attempts per Window for one
// subject.
type Rule struct {
	// Name identifies the action in stored keys ("login", "signup"…).
	// Renaming a rule starts its counts afresh.
	Name   string
	Limit  int
	Window time.Duration
}

// maxNameLen keeps a key within the 128 characters the schema allows:
// the name, a colon and 32 hex digits.
const maxNameLen = 128 - 1 - 2*hashLen

// hashLen is how many bytes of the subject's SHA-256 a key keeps: enough
// that two subjects never share a bucket by accident, short enough to
// keep the unique index small.
const hashLen = 16

func (r Rule) check() error {
	if r.Name == "" || utf8.RuneCountInString(r.Name) > maxNameLen || r.Limit < 1 || r.Window <= 0 {
		return fmt.Errorf("throttle: invalid rule %q (limit %d, window %s)", r.Name, r.Limit, r.Window)
	}
	return nil
}

// key is the stored bucket key for subject under r.
func (r Rule) key(subject string) string {
	sum := sha256.Sum256([]byte(subject))
	return r.Name + ":" + hex.EncodeToString(sum[:hashLen])
}

// Limiter counts attempts in the throttle_buckets table.
type Limiter struct {
	db  *database.DB
	now func() time.Time

	hitSQL, takeSQL, giveSQL, undoSQL, blockedSQL, clearSQL, pruneSQL string
}

// The statements are written with PostgreSQL's $n placeholders; SQLite
// gets the same numbers as ?n. A window has ended once window_ends_at <=
// now; in SET, both CASEs read the row as it was before the update, so
// they agree on whether the window had ended.
const (
	hitSQL = `INSERT INTO throttle_buckets (id, "key", "count", window_ends_at) VALUES ($1, $2, 1, $3)
ON CONFLICT ("key") DO UPDATE SET
	"count" = CASE WHEN throttle_buckets.window_ends_at <= $4 THEN 1 ELSE throttle_buckets."count" + 1 END,
	window_ends_at = CASE WHEN throttle_buckets.window_ends_at <= $4 THEN excluded.window_ends_at ELSE throttle_buckets.window_ends_at END
RETURNING "count", window_ends_at`
	// takeSQL adds $5 to the count unless that would pass the limit $6:
	// the WHERE of DO UPDATE then leaves the row alone and nothing is
	// returned.
	takeSQL = `INSERT INTO throttle_buckets (id, "key", "count", window_ends_at) VALUES ($1, $2, $5, $3)
ON CONFLICT ("key") DO UPDATE SET
	"count" = CASE WHEN throttle_buckets.window_ends_at <= $4 THEN excluded."count" ELSE throttle_buckets."count" + excluded."count" END,
	window_ends_at = CASE WHEN throttle_buckets.window_ends_at <= $4 THEN excluded.window_ends_at ELSE throttle_buckets.window_ends_at END
WHERE throttle_buckets.window_ends_at <= $4 OR throttle_buckets."count" + excluded."count" <= $6
RETURNING "count"`
	giveSQL    = `UPDATE throttle_buckets SET "count" = CASE WHEN "count" > $3 THEN "count" - $3 ELSE 0 END WHERE "key" = $1 AND window_ends_at > $2`
	undoSQL    = `UPDATE throttle_buckets SET "count" = "count" - 1 WHERE "key" = $1 AND "count" > 0 AND window_ends_at > $2`
	blockedSQL = `SELECT "count", window_ends_at FROM throttle_buckets WHERE "key" = $1 AND window_ends_at > $2`
	clearSQL   = `DELETE FROM throttle_buckets WHERE "key" = $1`
	pruneSQL   = `DELETE FROM throttle_buckets WHERE window_ends_at <= $1`
)

// New returns a Limiter over db reading the time from now (time.Now when
// nil). It cannot fail.
func New(db *database.DB, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	spell := db.Spell
	return &Limiter{
		db: db, now: now,
		hitSQL: spell(hitSQL), takeSQL: spell(takeSQL), giveSQL: spell(giveSQL), undoSQL: spell(undoSQL), blockedSQL: spell(blockedSQL), clearSQL: spell(clearSQL),
		pruneSQL: spell(pruneSQL),
	}
}

// clock returns the current time as both databases store it: PostgreSQL
// keeps microseconds, and SQLite compares times as UTC text.
func (l *Limiter) clock() time.Time {
	return l.now().UTC().Truncate(time.Microsecond)
}

// Hit counts one attempt at r by subject (an email address, a client
// address…; "" is counted like any other subject). It returns an
// *apperr.Error RATE_LIMITED (apperr.Limited) carrying the time until the
// window ends when this attempt is over the limit. Attempts over the limit
// are still counted but never extend the window. It returns a plain error
// for an invalid rule or when the database fails.
func (l *Limiter) Hit(ctx context.Context, r Rule, subject string) error {
	if err := r.check(); err != nil {
		return err
	}
	now := l.clock()
	var count int
	var ends time.Time
	err := l.db.QueryRow(ctx, l.hitSQL, uuid.New(), r.key(subject), now.Add(r.Window), now).Scan(&count, &ends)
	if err != nil {
		return fmt.Errorf("throttle: hit %s: %w", r.Name, err)
	}
	if count > r.Limit {
		return apperr.Limited(ends.Sub(now))
	}
	return nil
}

// Take counts n units of r (bytes uploaded, say) for subject when they fit
// within Limit in the current window, and counts nothing when they do not:
// it then returns a RATE_LIMITED *apperr.Error carrying the time until the
// window ends (the whole Window when n alone is over Limit, which no wait
// would cure within one window). Unlike Hit, a refused Take costs the
// subject nothing, so a large request that does not fit leaves room for a
// smaller one. It returns a plain error for an invalid rule or n, or when
// the database fails.
func (l *Limiter) Take(ctx context.Context, r Rule, subject string, n int) error {
	if err := r.check(); err != nil {
		return err
	}
	if n < 1 {
		return fmt.Errorf("throttle: take %s: n %d is not positive", r.Name, n)
	}
	if n > r.Limit {
		return apperr.Limited(r.Window)
	}
	now := l.clock()
	var count int
	err := l.db.QueryRow(ctx, l.takeSQL, uuid.New(), r.key(subject), now.Add(r.Window), now, n, r.Limit).Scan(&count)
	if errors.Is(err, sql.ErrNoRows) {
		var ends time.Time
		err = l.db.QueryRow(ctx, l.blockedSQL, r.key(subject), now).Scan(&count, &ends)
		if errors.Is(err, sql.ErrNoRows) { // the window ended in between
			return apperr.Limited(time.Second)
		}
		if err == nil {
			return apperr.Limited(ends.Sub(now))
		}
	}
	if err != nil {
		return fmt.Errorf("throttle: take %s: %w", r.Name, err)
	}
	return nil
}

// Give takes back n units counted by Take in the current window, for an
// operation that failed after taking them; never below zero. It does
// nothing when the window has ended. It returns an error for an invalid
// rule or when the database fails.
func (l *Limiter) Give(ctx context.Context, r Rule, subject string, n int) error {
	if err := r.check(); err != nil {
		return err
	}
	if _, err := l.db.Exec(ctx, l.giveSQL, r.key(subject), l.clock(), n); err != nil {
		return fmt.Errorf("throttle: give %s: %w", r.Name, err)
	}
	return nil
}

// Undo takes back one attempt counted by Hit in the current window (a
// login that turned out right). It does nothing when the window has ended
// or nothing was counted. It returns an error for an invalid rule or when
// the database fails.
func (l *Limiter) Undo(ctx context.Context, r Rule, subject string) error {
	if err := r.check(); err != nil {
		return err
	}
	if _, err := l.db.Exec(ctx, l.undoSQL, r.key(subject), l.clock()); err != nil {
		return fmt.Errorf("throttle: undo %s: %w", r.Name, err)
	}
	return nil
}

// Blocked reports, without counting, whether subject has used up its
// attempts in the current window: it returns a RATE_LIMITED *apperr.Error
// carrying the time until the window ends once Limit attempts have been
// counted (so the next Hit would be refused), and nil otherwise. Checking
// before the attempt and calling Hit only on failure therefore allows
// exactly Limit failures per window. It returns a plain error for an
// invalid rule or when the database fails.
func (l *Limiter) Blocked(ctx context.Context, r Rule, subject string) error {
	if err := r.check(); err != nil {
		return err
	}
	now := l.clock()
	var count int
	var ends time.Time
	err := l.db.QueryRow(ctx, l.blockedSQL, r.key(subject), now).Scan(&count, &ends)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("throttle: blocked %s: %w", r.Name, err)
	case count >= r.Limit:
		return apperr.Limited(ends.Sub(now))
	}
	return nil
}

// Clear forgets every attempt subject has made at r in the current window,
// for when what the attempts were aimed at has changed (the password they
// guessed at was replaced). It does nothing when nothing was counted. It
// returns an error for an invalid rule or when the database fails.
func (l *Limiter) Clear(ctx context.Context, r Rule, subject string) error {
	if err := r.check(); err != nil {
		return err
	}
	if _, err := l.db.Exec(ctx, l.clearSQL, r.key(subject)); err != nil {
		return fmt.Errorf("throttle: clear %s: %w", r.Name, err)
	}
	return nil
}

// Prune deletes buckets whose window has ended, returning how many. An
// ended bucket counts for nothing, so pruning only reclaims space. It
// returns 0 and an error when the database fails.
func (l *Limiter) Prune(ctx context.Context) (int, error) {
	res, err := l.db.Exec(ctx, l.pruneSQL, l.clock())
	if err != nil {
		return 0, fmt.Errorf("throttle: prune: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("throttle: prune: %w", err)
	}
	return int(n), nil
}
