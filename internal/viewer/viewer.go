// Package viewer says who is calling: nobody (anonymous), a user with a
// global role, or the system itself (migrations, seeding, counters).
//
// Every data read consults it: the ent schema filters rows by the viewer in
// the context, so a caller never receives rows it may not see, whichever
// resolver or loader asked for them.
package viewer

import (
	"context"

	"github.com/google/uuid"
)

// Role is a global role. Course-scoped roles live in the database.
type Role string

// Global roles, least privileged first.
const (
	RoleLearner    Role = "LEARNER"
	RoleInstructor Role = "INSTRUCTOR"
	RoleAdmin      Role = "ADMIN"
)

// Credential says how a caller proved who they are.
type Credential int

// Credentials. A zero Viewer (tests, the system) has CredentialNone.
const (
	CredentialNone Credential = iota
	// CredentialCookie: the browser session cookie.
	CredentialCookie
	// CredentialSessionToken: a session token in an Authorization header
	// (logIn with transport TOKEN).
	CredentialSessionToken
	// CredentialAPIToken: a personal API token, limited by its scopes.
	CredentialAPIToken
)

// API token scopes.
const (
	ScopeRead  = "READ"
	ScopeWrite = "WRITE"
)

// Viewer is an authenticated caller or the system.
type Viewer struct {
	UserID uuid.UUID
	Role   Role
	// Credential is how the caller signed in; SessionID is set for
	// sessions (cookie or token), APITokenID and Scopes for API tokens.
	Credential Credential
	SessionID  uuid.UUID
	APITokenID uuid.UUID
	Scopes     []string
	// MFA reports whether the sign-in behind the session passed a second
	// factor.
	MFA    bool
	system bool
}

// HasScope reports whether the caller may act within scope: always for
// sessions; for API tokens only when the token carries it.
func (v Viewer) HasScope(scope string) bool {
	if v.Credential != CredentialAPIToken {
		return true
	}
	for _, s := range v.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// IsSystem reports whether the viewer is the process itself, which sees
// every row.
func (v Viewer) IsSystem() bool { return v.system }

// IsAdmin reports whether the viewer holds the global admin role. The role
// alone grants no rights over other people's data: see IsElevatedAdmin.
func (v Viewer) IsAdmin() bool { return v.Role == RoleAdmin }

// ViaSession reports whether the caller signed in with a session (the
// cookie or a session token), as opposed to an API token.
func (v Viewer) ViaSession() bool {
	return v.Credential == CredentialCookie || v.Credential == CredentialSessionToken
}

// SessionPassedMFA reports whether the caller's session passed a second
// factor at sign-in. An API token never has, whatever its owner did.
func (v Viewer) SessionPassedMFA() bool { return v.ViaSession() && v.MFA }

// IsElevatedAdmin reports whether the viewer may use administrator rights
// over other people's data, reading it included: the admin role, from a
// session that passed MFA. A stolen password alone, or an administrator's
// API token, reads only what any signed-in user reads.
func (v Viewer) IsElevatedAdmin() bool { return v.IsAdmin() && v.SessionPassedMFA() }

// SeesCredentials reports whether the caller may read their own sessions
// and API tokens (where they sign in, what their tokens are called): from
// a session only, so a leaked API token reveals neither.
func (v Viewer) SeesCredentials() bool { return v.ViaSession() }

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// SystemContext returns ctx acting as the system: no row is filtered. Use it
// only for work no caller triggers directly (migrations, seeding, jobs).
func SystemContext(ctx context.Context) context.Context {
	return NewContext(ctx, Viewer{system: true})
}

// FromContext returns the viewer in ctx; ok is false for anonymous callers.
func FromContext(ctx context.Context) (v Viewer, ok bool) {
	v, ok = ctx.Value(ctxKey{}).(Viewer)
	return v, ok
}
