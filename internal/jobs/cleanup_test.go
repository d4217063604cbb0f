package jobs_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/session"
	"lectern/internal/auth"
	"lectern/internal/auth/throttle"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// TestCleanup proves the hourly pass deletes what can no longer be used
// (sessions past either timeout, spent challenges, ended throttle windows)
// and keeps what still can.
func TestCleanup(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.SystemContext(context.Background())
		now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		const idle = 30 * time.Minute
		u := db.Ent.User.Create().SetEmail("c@example.com").SetDisplayName("C").SaveX(ctx)
		hash := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
		mk := func(name string, created, lastSeen time.Time) uuid.UUID {
			return db.Ent.Session.Create().SetUserID(u.ID).SetTokenHash(hash(name)).SetTransport(session.TransportCOOKIE).
				SetCreatedAt(created).SetLastSeenAt(lastSeen).SetExpiresAt(created.Add(12 * time.Hour)).SaveX(ctx).ID
		}
		live := mk("live", now.Add(-time.Hour), now.Add(-time.Minute))
		mk("idle", now.Add(-time.Hour), now.Add(-31*time.Minute))
		mk("old", now.Add(-13*time.Hour), now.Add(-time.Minute))
		db.Ent.MFAChallenge.Create().SetUserID(u.ID).SetTokenHash(hash("spent")).SetCreatedAt(now.Add(-10 * time.Minute)).
			SetExpiresAt(now.Add(-5 * time.Minute)).ExecX(ctx)
		limiter := throttle.New(db, func() time.Time { return now.Add(-time.Hour) })
		if err := limiter.Hit(ctx, throttle.Rule{Name: "test", Limit: 5, Window: time.Minute}, "x"); err != nil {
			t.Fatal(err)
		}

		deleted, err := auth.NewJanitor(db, idle, clock).Cleanup(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"sessions": 2, "mfa_challenges": 1, "throttle_buckets": 1, "email_tokens": 0, "api_tokens": 0, "mail_deliveries": 0}
		for k, n := range want {
			if deleted[k] != n {
				t.Errorf("deleted %s: %d, want %d (all: %v)", k, deleted[k], n, deleted)
			}
		}
		ids := db.Ent.Session.Query().IDsX(ctx)
		if len(ids) != 1 || ids[0] != live {
			t.Errorf("sessions left %v, want only the live one %v", ids, live)
		}
	})
}
