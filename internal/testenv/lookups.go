package testenv

import (
	"context"
	"crypto/sha256"
	"testing"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/session"
	"lectern/ent/user"
	"lectern/internal/database"
	"lectern/internal/seed"
)

// DemoAccount returns the demo dataset's account with role ("LEARNER",
// "INSTRUCTOR", "ADMIN").
func DemoAccount(t testing.TB, role string) seed.DemoAccount {
	t.Helper()
	for _, a := range seed.DemoAccounts {
		if a.Role == role {
			return a
		}
	}
	t.Fatalf("no demo account with role %s", role)
	return seed.DemoAccount{}
}

// AccountID returns the ID of the account with email.
func AccountID(t testing.TB, db *database.DB, email string) uuid.UUID {
	t.Helper()
	u, err := db.Ent.User.Query().Where(user.Email(email)).Only(systemContext())
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u.ID
}

// SessionsOf returns the stored sessions of the account with email.
func SessionsOf(t testing.TB, db *database.DB, email string) []*ent.Session {
	t.Helper()
	all, err := db.Ent.Session.Query().Where(session.UserID(AccountID(t, db, email))).All(systemContext())
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// SessionByToken returns the session stored for a plain token, or nil.
func SessionByToken(t testing.TB, db *database.DB, plain string) *ent.Session {
	t.Helper()
	sum := sha256.Sum256([]byte(plain))
	s, err := db.Ent.Session.Query().Where(session.TokenHash(sum[:])).Only(systemContext())
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// RowCount returns the number of rows q selects, seen by the system.
func RowCount(t testing.TB, q interface {
	Count(context.Context) (int, error)
}) int {
	t.Helper()
	n, err := q.Count(systemContext())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
