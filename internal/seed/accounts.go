package seed

import (
	"context"
	"fmt"

	"lectern/ent"
	"lectern/ent/user"
	"lectern/internal/viewer"
)

// DemoAccount is a demo user one can sign in as during development.
type DemoAccount struct {
	Email, Role, Password string
}

// DemoAccounts are the demo users, one per global role, that get a known
// password in dev. The passwords are public (they are printed at start), so
// they are set only by SetDemoPasswords, which only dev calls: demo data
// loaded anywhere else has no password and cannot be signed in to.
var DemoAccounts = []DemoAccount{
	{Email: "admin@example.com", Role: "ADMIN", Password: "lectern-demo-admin"},
	{Email: "amara.osei@example.com", Role: "INSTRUCTOR", Password: "lectern-demo-instructor"},
	{Email: "priya.raman@example.com", Role: "LEARNER", Password: "lectern-demo-learner"},
}

// SetDemoPasswords gives each demo account that exists and has no password
// its demo password, hashed by hash. It returns the accounts that can be
// signed in to with their demo password (set now or earlier), or an error
// when the database or the hash fails.
func SetDemoPasswords(ctx context.Context, client *ent.Client, hash func(context.Context, string) (string, error)) ([]DemoAccount, error) {
	ctx = viewer.SystemContext(ctx)
	var ready []DemoAccount
	for _, a := range DemoAccounts {
		u, err := client.User.Query().Where(user.Email(a.Email)).Only(ctx)
		if ent.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("demo accounts: %w", err)
		}
		if u.PasswordHash == nil {
			h, err := hash(ctx, a.Password)
			if err != nil {
				return nil, fmt.Errorf("demo accounts: %w", err)
			}
			if err := client.User.UpdateOne(u).SetPasswordHash(h).Exec(ctx); err != nil {
				return nil, fmt.Errorf("demo accounts: %w", err)
			}
		}
		ready = append(ready, a)
	}
	return ready, nil
}
