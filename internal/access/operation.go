package access

import (
	"context"
	"strings"

	"lectern/ent"
	"lectern/internal/apperr"
	"lectern/internal/viewer"
	"lectern/policy"
)

// Authorizer answers operation questions from the policy and field
// questions from facts in the database, read through client with the
// caller's eyes.
type Authorizer struct {
	policy *policy.Enforcer
	client *ent.Client
}

// New returns an Authorizer over p reading facts through client.
func New(p *policy.Enforcer, client *ent.Client) *Authorizer {
	return &Authorizer{policy: p, client: client}
}

// Subject returns the policy subject for the caller in ctx: its global role
// in lower case, or policy.Anonymous.
func Subject(ctx context.Context) string {
	v, ok := viewer.FromContext(ctx)
	switch {
	case !ok:
		return policy.Anonymous
	case v.IsSystem():
		return string(viewer.RoleAdmin)
	}
	return strings.ToLower(string(v.Role))
}

// Operation returns nil when the caller may run op ("Query.courses"). It
// fails with UNAUTHENTICATED for an anonymous caller who would need to sign
// in and FORBIDDEN for a signed-in caller whose role does not allow it,
// whose API token's scopes do not, or whose session did not pass MFA where
// the policy requires it.
func (a *Authorizer) Operation(ctx context.Context, op string) error {
	subject := Subject(ctx)
	if !a.policy.Allowed(subject, op, policy.ActCall) {
		if subject == policy.Anonymous {
			return apperr.New(apperr.Unauthenticated, "sign in to do this")
		}
		return apperr.New(apperr.Forbidden, "you are not allowed to do this")
	}
	v, _ := viewer.FromContext(ctx)
	if v.Credential == viewer.CredentialAPIToken && !a.tokenMay(v, op) {
		return apperr.New(apperr.Forbidden, "this API token's scopes do not allow this; use a token with the right scope or sign in")
	}
	if !v.IsSystem() && !v.SessionPassedMFA() && a.policy.Allowed(policy.Anonymous, op, policy.ActRequireMFA) {
		return apperr.New(apperr.Forbidden, "this needs a session that passed two-factor sign-in; turn it on and sign in again")
	}
	return nil
}

// tokenMay reports whether one of an API token's scopes allows op.
func (a *Authorizer) tokenMay(v viewer.Viewer, op string) bool {
	for _, s := range v.Scopes {
		if a.policy.Allowed(policy.ScopeSubject(s), op, policy.ActCall) {
			return true
		}
	}
	return false
}
