package graph

import (
	"context"
	"sync"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/graph/model"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/auth"
	"lectern/internal/gid"
	"lectern/internal/viewer"
)

// selfState remembers, for one request, an account that signed in during
// it. The request's viewer is fixed when it starts (anonymous, for logIn),
// yet the logIn payload must show the new viewer their own email and mark
// their new session as current.
type selfState struct {
	mu      sync.Mutex
	userID  uuid.UUID
	session uuid.UUID
}

type selfKey struct{}

func withSelfState(ctx context.Context) context.Context {
	return context.WithValue(ctx, selfKey{}, &selfState{})
}

// signedIn records that userID signed in during this request with session.
func signedIn(ctx context.Context, userID, session uuid.UUID) {
	if st, ok := ctx.Value(selfKey{}).(*selfState); ok {
		st.mu.Lock()
		st.userID, st.session = userID, session
		st.mu.Unlock()
	}
}

func signedInNow(ctx context.Context) (userID, session uuid.UUID) {
	if st, ok := ctx.Value(selfKey{}).(*selfState); ok {
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.userID, st.session
	}
	return uuid.Nil, uuid.Nil
}

// mayReadPrivate reports whether the caller may read u's private fields
// (email, role, verification, disabled): u themselves and administrators
// from a session that passed MFA only (access.PrivateFieldsReadable).
func mayReadPrivate(ctx context.Context, u *ent.User) bool {
	if access.PrivateFieldsReadable(ctx, u.ID) {
		return true
	}
	// The account that signed in during this request is the caller too.
	id, _ := signedInNow(ctx)
	return id != uuid.Nil && id == u.ID
}

// isCurrentSession reports whether id is the session of this request (or
// the one it just created).
func isCurrentSession(ctx context.Context, id uuid.UUID) bool {
	if v, ok := viewer.FromContext(ctx); ok && v.SessionID == id {
		return true
	}
	_, s := signedInNow(ctx)
	return s != uuid.Nil && s == id
}

// payloadErrors splits a domain result into a payload's userErrors or a
// request error: user-correctable problems go in the payload, anything
// else (RATE_LIMITED, UNAUTHENTICATED, internal failures) is an error.
func payloadErrors(err error) ([]*apperr.FieldError, error) {
	if err == nil {
		return []*apperr.FieldError{}, nil
	}
	fields, ok := apperr.FieldsOf(err)
	if !ok {
		return nil, err
	}
	out := make([]*apperr.FieldError, len(fields))
	for i := range fields {
		out[i] = &fields[i]
	}
	return out, nil
}

// transportOf defaults an omitted transport to COOKIE.
func transportOf(t *auth.Transport) auth.Transport {
	if t == nil {
		return auth.TransportCookie
	}
	return *t
}

// logInPayload maps a sign-in result: a session (with the new viewer and,
// for transport TOKEN, the token) or an MFA challenge.
func logInPayload(ctx context.Context, res auth.LogInResult, err error) (*model.LogInPayload, error) {
	ue, err := payloadErrors(err)
	if err != nil {
		return nil, err
	}
	out := &model.LogInPayload{UserErrors: ue}
	switch {
	case len(ue) > 0:
	case res.MFARequired():
		out.MfaRequired, out.MfaChallenge = true, &res.Challenge
	case res.Session != nil:
		signedIn(ctx, res.User.ID, res.Session.ID)
		out.Viewer = &model.Viewer{User: res.User, SessionMFA: res.Session.Mfa}
		if res.Session.Transport == auth.TransportToken {
			out.Token = &res.Token
		}
	}
	return out, nil
}

func sessionID(id uuid.UUID) *gid.ID {
	if id == uuid.Nil {
		return nil
	}
	g := gid.New("Session", id)
	return &g
}

func notFound(field ...string) []*apperr.FieldError {
	return []*apperr.FieldError{{Code: apperr.UserNotFound, Field: field, Message: "not found"}}
}

// auditFilter maps the schema's audit filter to the domain's. An actorId
// that is not a User's ID can match nothing and is refused as such.
func auditFilter(w *model.AuditEventWhereInput) (audit.Filter, error) {
	var f audit.Filter
	if w == nil {
		return f, nil
	}
	if w.ActorID != nil {
		if w.ActorID.Type != "User" {
			return f, apperr.New(apperr.BadUserInput, "actorId must be the ID of a User")
		}
		f.ActorID = w.ActorID.UUID
	}
	if w.Action != nil {
		f.Action = *w.Action
	}
	if w.TargetID != nil {
		f.TargetID = *w.TargetID
	}
	f.CreatedAfter, f.CreatedBefore = w.CreatedAfter, w.CreatedBefore
	return f, nil
}
