package auth

import (
	"context"
	"fmt"
	"time"

	"lectern/ent/apitoken"
	"lectern/ent/emailtoken"
	"lectern/ent/maildelivery"
	"lectern/ent/mfachallenge"
	"lectern/ent/session"
	"lectern/internal/auth/throttle"
	"lectern/internal/database"
)

// Retention of rows that are no longer usable. Expired API tokens stay a
// while so their owners see why a client stopped working.
const (
	expiredTokenRetention = 30 * 24 * time.Hour
	usedLinkRetention     = 7 * 24 * time.Hour
	deliveryRetention     = 30 * 24 * time.Hour
)

// Janitor deletes identity rows that can no longer be used. It needs no
// queue, so the worker process can build it before its job queue.
type Janitor struct {
	db      *database.DB
	limiter *throttle.Limiter
	idle    time.Duration
	now     func() time.Time
}

// NewJanitor returns a Janitor over db that also ends sessions idle for
// longer than idle (the session idle timeout); now may be nil (time.Now).
// It cannot fail.
func NewJanitor(db *database.DB, idle time.Duration, now func() time.Time) *Janitor {
	if now == nil {
		now = time.Now
	}
	return &Janitor{db: db, limiter: throttle.New(db, now), idle: idle, now: now}
}

// Cleanup deletes expired sessions (absolute or idle), MFA challenges,
// link tokens, long-expired API tokens, throttle counters whose window has
// ended and old delivery claims. It returns the rows deleted by kind
// (implementing jobs.Cleaner).
func (s *Janitor) Cleanup(ctx context.Context) (map[string]int, error) {
	now := s.now().UTC()
	out := map[string]int{}
	steps := []struct {
		kind string
		run  func() (int, error)
	}{
		{"sessions", func() (int, error) {
			return s.db.Ent.Session.Delete().Where(session.Or(session.ExpiresAtLTE(now),
				session.LastSeenAtLTE(now.Add(-s.idle)))).Exec(ctx)
		}},
		{"mfa_challenges", func() (int, error) {
			return s.db.Ent.MFAChallenge.Delete().Where(mfachallenge.ExpiresAtLTE(now)).Exec(ctx)
		}},
		{"email_tokens", func() (int, error) {
			return s.db.Ent.EmailToken.Delete().Where(emailtoken.ExpiresAtLTE(now.Add(-usedLinkRetention))).Exec(ctx)
		}},
		{"api_tokens", func() (int, error) {
			return s.db.Ent.APIToken.Delete().Where(apitoken.ExpiresAtLTE(now.Add(-expiredTokenRetention))).Exec(ctx)
		}},
		{"mail_deliveries", func() (int, error) {
			return s.db.Ent.MailDelivery.Delete().Where(maildelivery.ClaimedAtLTE(now.Add(-deliveryRetention))).Exec(ctx)
		}},
		{"throttle_buckets", func() (int, error) { return s.limiter.Prune(ctx) }},
	}
	for _, st := range steps {
		n, err := st.run()
		if err != nil {
			return out, fmt.Errorf("cleanup %s: %w", st.kind, err)
		}
		out[st.kind] = n
	}
	return out, nil
}
