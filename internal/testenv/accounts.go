package testenv

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/user"
	"lectern/internal/auth/password"
	"lectern/internal/auth/totp"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// passwordHashes holds each password PasswordHash was asked for, hashed.
var passwordHashes struct {
	mu     sync.Mutex
	hasher *password.Hasher
	byText map[string]string
}

// PasswordHash returns password hashed the way the app stores passwords
// (argon2id at the default parameters), computing it once per test process:
// accounts stored for tests then cost no key derivation until someone signs
// in to them. Accounts given the same password share a salt, which no test
// of the stored hash tells apart from two.
func PasswordHash(t testing.TB, pw string) string {
	t.Helper()
	passwordHashes.mu.Lock()
	defer passwordHashes.mu.Unlock()
	if hash, ok := passwordHashes.byText[pw]; ok {
		return hash
	}
	if passwordHashes.hasher == nil {
		h, err := password.NewHasher(password.DefaultParams())
		if err != nil {
			t.Fatalf("password hasher: %v", err)
		}
		passwordHashes.hasher, passwordHashes.byText = h, map[string]string{}
	}
	hash, err := passwordHashes.hasher.Hash(context.Background(), pw)
	if err != nil {
		t.Fatalf("hash a password: %v", err)
	}
	passwordHashes.byText[pw] = hash
	return hash
}

// Account is an account a test stores directly, as an operator would, to
// start from it without spending a sign-up (and its emails) on it.
type Account struct {
	// Email is the address; empty for a new one of the form
	// "<DisplayName>-<random>@example.com".
	Email string
	// DisplayName defaults to the address's local part.
	DisplayName string
	// Role defaults to LEARNER.
	Role user.Role
	// Password is stored hashed with PasswordHash; empty stores none.
	Password string
	// VerifiedAt is when the address was confirmed; zero for never.
	VerifiedAt time.Time
}

// CreateAccount stores a and returns the stored row.
func CreateAccount(t testing.TB, db *database.DB, a Account) *ent.User {
	t.Helper()
	if a.Email == "" {
		prefix := a.DisplayName
		if prefix == "" {
			prefix = "account"
		}
		a.Email = prefix + "-" + uuid.NewString()[:8] + "@example.com"
	}
	if a.DisplayName == "" {
		a.DisplayName, _, _ = strings.Cut(a.Email, "@")
	}
	if a.Role == "" {
		a.Role = user.RoleLEARNER
	}
	create := db.Ent.User.Create().SetEmail(a.Email).SetDisplayName(a.DisplayName).SetRole(a.Role)
	if a.Password != "" {
		create.SetPasswordHash(PasswordHash(t, a.Password))
	}
	if !a.VerifiedAt.IsZero() {
		create.SetEmailVerifiedAt(a.VerifiedAt)
	}
	u, err := create.Save(systemContext())
	if err != nil {
		t.Fatalf("create account %s: %v", a.Email, err)
	}
	return u
}

// SetPassword gives the account at email password, as PasswordHash hashes
// it, and returns the account's ID.
func SetPassword(t testing.TB, db *database.DB, email, pw string) uuid.UUID {
	t.Helper()
	id, err := db.Ent.User.Query().Where(user.Email(email)).OnlyID(systemContext())
	if err != nil {
		t.Fatalf("account %s: %v", email, err)
	}
	if err := db.Ent.User.UpdateOneID(id).SetPasswordHash(PasswordHash(t, pw)).Exec(systemContext()); err != nil {
		t.Fatalf("password of %s: %v", email, err)
	}
	return id
}

// EnableTOTP turns two-factor sign-in on for account id in the state
// enrolment leaves it: a new secret, sealed the way NewClient's app seals
// it, enabled at at. It returns the secret, from which TOTPCode makes
// codes.
func EnableTOTP(t testing.TB, db *database.DB, id uuid.UUID, at time.Time) string {
	t.Helper()
	secret, err := totp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ent.User.UpdateOneID(id).SetTotpSecret(SealTOTP(t, id, secret)).SetMfaEnabledAt(at).
		Exec(systemContext()); err != nil {
		t.Fatalf("enable TOTP: %v", err)
	}
	return secret
}

// TOTPCode returns the code of secret at the time at.
func TOTPCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.Code(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// systemContext sees every row, for storing and reading what tests set up.
func systemContext() context.Context { return viewer.SystemContext(context.Background()) }
