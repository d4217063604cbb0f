package model

import "lectern/ent"

// Viewer is the signed-in caller. Everything but the account row is
// resolved on demand, so a query that asks only for `viewer { user }`
// reads nothing else.
type Viewer struct {
	User *ent.User `json:"user"`
	// SessionMFA is whether a session created during this request (logIn,
	// verifyMfa) passed MFA; for the request's own session the viewer in
	// the context says.
	SessionMFA bool `json:"-"`
}
