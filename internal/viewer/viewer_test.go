package viewer_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"lectern/internal/viewer"
)

func TestCredentialRules(t *testing.T) {
	id := uuid.New()
	system, _ := viewer.FromContext(viewer.SystemContext(context.Background()))
	tests := []struct {
		name string
		v    viewer.Viewer
		// What the viewer may do: read its own sessions and tokens, count
		// as having passed MFA, use administrator rights over others' data.
		credentials, mfa, elevated bool
	}{
		{name: "Anonymous"},
		{name: "System", v: system},
		{name: "LearnerCookie", v: viewer.Viewer{UserID: id, Role: viewer.RoleLearner, Credential: viewer.CredentialCookie},
			credentials: true},
		{name: "LearnerCookieMFA", v: viewer.Viewer{UserID: id, Role: viewer.RoleLearner, Credential: viewer.CredentialCookie, MFA: true},
			credentials: true, mfa: true},
		{name: "AdminCookie", v: viewer.Viewer{UserID: id, Role: viewer.RoleAdmin, Credential: viewer.CredentialCookie},
			credentials: true},
		{name: "AdminCookieMFA", v: viewer.Viewer{UserID: id, Role: viewer.RoleAdmin, Credential: viewer.CredentialCookie, MFA: true},
			credentials: true, mfa: true, elevated: true},
		{name: "AdminSessionTokenMFA", v: viewer.Viewer{UserID: id, Role: viewer.RoleAdmin, Credential: viewer.CredentialSessionToken, MFA: true},
			credentials: true, mfa: true, elevated: true},
		// MFA is a property of a session: on anything else it is ignored.
		{name: "AdminAPITokenFlaggedMFA", v: viewer.Viewer{UserID: id, Role: viewer.RoleAdmin, Credential: viewer.CredentialAPIToken,
			Scopes: []string{viewer.ScopeRead, viewer.ScopeWrite}, MFA: true}},
		{name: "AdminNoCredentialFlaggedMFA", v: viewer.Viewer{UserID: id, Role: viewer.RoleAdmin, MFA: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.SeesCredentials(); got != tt.credentials {
				t.Errorf("SeesCredentials() = %v, want %v", got, tt.credentials)
			}
			if got := tt.v.SessionPassedMFA(); got != tt.mfa {
				t.Errorf("SessionPassedMFA() = %v, want %v", got, tt.mfa)
			}
			if got := tt.v.IsElevatedAdmin(); got != tt.elevated {
				t.Errorf("IsElevatedAdmin() = %v, want %v", got, tt.elevated)
			}
		})
	}
}
