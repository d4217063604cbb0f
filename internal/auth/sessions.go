package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/apitoken"
	"lectern/ent/session"
	"lectern/ent/user"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/auth/secret"
	"lectern/internal/auth/web"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

var errSignedOut = apperr.New(apperr.Unauthenticated, "the credential is invalid or has expired; sign in again")

// Authenticate returns the viewer a presented secret stands for: a session
// token (from the cookie when fromCookie, else from an Authorization
// header, matching how the session was created) or a personal API token
// (header only). Anything unknown, expired, revoked, presented the wrong
// way or belonging to a disabled account is UNAUTHENTICATED; an expired
// session is deleted on the way.
func (s *Service) Authenticate(ctx context.Context, credential string, fromCookie bool) (viewer.Viewer, error) {
	switch {
	case strings.HasPrefix(credential, secret.SessionPrefix) && secret.Parse(credential, secret.SessionPrefix):
		return s.authenticateSession(ctx, credential, fromCookie)
	case !fromCookie && secret.Parse(credential, secret.PersonalTokenPrefix):
		return s.authenticateToken(ctx, credential)
	}
	return viewer.Viewer{}, errSignedOut
}

// signedSession is what authenticating a session token reads: the
// session and the few columns of its account that decide the viewer.
type signedSession struct {
	ID         uuid.UUID
	Transport  session.Transport
	Mfa        bool
	ExpiresAt  time.Time
	LastSeenAt time.Time
	UserID     uuid.UUID
	Role       user.Role
	DisabledAt *time.Time
}

// sessionByTokenSQL reads a session by its token's hash, joined to its
// account, in one statement: every signed-in request runs it. Loading the
// account as an edge took a second round trip and read its password hash
// and TOTP secrets, which authentication does not need; reading through
// ent's generic scan (reflection over a struct's tags) cost a tenth of a
// signed-in course page's CPU.
const sessionByTokenSQL = `SELECT s.id, s.transport, s.mfa, s.expires_at, s.last_seen_at, s.user_id, u.role, u.disabled_at
FROM sessions AS s JOIN users AS u ON u.id = s.user_id
WHERE s.token_hash = $1`

// sessionByToken returns the session whose token hashes to hash, or nil.
// It reads past the row rules, as the identity service does (Service.sys).
func (s *Service) sessionByToken(ctx context.Context, hash []byte) (*signedSession, error) {
	var (
		ss              signedSession
		transport, role string
		disabledAt      sql.NullTime
	)
	err := s.db.QueryRow(ctx, s.sessionSQL, hash).Scan(&ss.ID, &transport, &ss.Mfa, &ss.ExpiresAt, &ss.LastSeenAt,
		&ss.UserID, &role, &disabledAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ss.Transport, ss.Role = session.Transport(transport), user.Role(role)
	if disabledAt.Valid {
		ss.DisabledAt = &disabledAt.Time
	}
	return &ss, nil
}

func (s *Service) authenticateSession(ctx context.Context, plain string, fromCookie bool) (viewer.Viewer, error) {
	sess, err := s.sessionByToken(ctx, secret.HashOf(plain))
	if err != nil {
		return viewer.Viewer{}, fmt.Errorf("authenticate: %w", err)
	}
	if sess == nil {
		return viewer.Viewer{}, errSignedOut
	}
	want := TransportToken
	if fromCookie {
		want = TransportCookie
	}
	now := s.clock()
	if !now.Before(sess.ExpiresAt) || !now.Before(sess.LastSeenAt.Add(s.cfg.SessionIdle)) {
		if err := s.db.Ent.Session.DeleteOneID(sess.ID).Exec(ctx); err != nil && !ent.IsNotFound(err) {
			return viewer.Viewer{}, fmt.Errorf("authenticate: %w", err)
		}
		return viewer.Viewer{}, errSignedOut
	}
	if sess.Transport != want || sess.DisabledAt != nil {
		return viewer.Viewer{}, errSignedOut
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.db.Ent.Session.UpdateOneID(sess.ID).SetLastSeenAt(now).Exec(ctx); err != nil && !ent.IsNotFound(err) {
			return viewer.Viewer{}, fmt.Errorf("authenticate: %w", err)
		}
	}
	cred := viewer.CredentialSessionToken
	if fromCookie {
		cred = viewer.CredentialCookie
	}
	return viewer.Viewer{UserID: sess.UserID, Role: viewer.Role(sess.Role), Credential: cred, SessionID: sess.ID, MFA: sess.Mfa}, nil
}

func (s *Service) authenticateToken(ctx context.Context, plain string) (viewer.Viewer, error) {
	t, err := s.sys.APIToken.Query().Where(apitoken.TokenHash(secret.HashOf(plain))).WithUser().Only(ctx)
	if ent.IsNotFound(err) {
		return viewer.Viewer{}, errSignedOut
	}
	if err != nil {
		return viewer.Viewer{}, fmt.Errorf("authenticate: %w", err)
	}
	now := s.clock()
	u := t.Edges.User
	if !now.Before(t.ExpiresAt) || u.DisabledAt != nil {
		return viewer.Viewer{}, errSignedOut
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= touchEvery {
		if err := s.db.Ent.APIToken.UpdateOneID(t.ID).SetLastUsedAt(now).Exec(ctx); err != nil && !ent.IsNotFound(err) {
			return viewer.Viewer{}, fmt.Errorf("authenticate: %w", err)
		}
	}
	return viewer.Viewer{UserID: u.ID, Role: viewer.Role(u.Role), Credential: viewer.CredentialAPIToken,
		APITokenID: t.ID, Scopes: t.Scopes}, nil
}

// LogOut ends the caller's current session. It returns the ended
// session's ID.
func (s *Service) LogOut(ctx context.Context) (uuid.UUID, error) {
	v, err := access.SessionCaller(ctx)
	if err != nil {
		return uuid.Nil, err
	}
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		if err := tx.Session.DeleteOneID(v.SessionID).Exec(ctx); err != nil && !ent.IsNotFound(err) {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.Logout, ActorID: v.UserID, TargetType: "Session", TargetID: v.SessionID.String()})
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("log out: %w", err)
	}
	if v.Credential == viewer.CredentialCookie {
		if err := web.ClearSessionCookie(ctx); err != nil {
			return uuid.Nil, fmt.Errorf("log out: %w", err)
		}
	}
	return v.SessionID, nil
}

// Sessions returns the live sessions of account userID, most recently used
// first. Only the account's own viewer may be shown them.
func (s *Service) Sessions(ctx context.Context, userID uuid.UUID) ([]*ent.Session, error) {
	if err := access.CredentialsListable(ctx); err != nil {
		return nil, err
	}
	now := s.clock()
	return s.sys.Session.Query().Where(session.UserID(userID), session.ExpiresAtGT(now),
		session.LastSeenAtGT(now.Add(-s.cfg.SessionIdle))).
		Order(ent.Desc(session.FieldLastSeenAt), ent.Desc(session.FieldID)).All(ctx)
}

// IdleExpiry returns when sess ends if it stays unused.
func (s *Service) IdleExpiry(sess *ent.Session) time.Time {
	idle := sess.LastSeenAt.Add(s.cfg.SessionIdle)
	if idle.After(sess.ExpiresAt) {
		return sess.ExpiresAt
	}
	return idle
}

// RevokeSession ends one of the caller's sessions (possibly the current
// one, reported by current). Another account's session, or none, is
// NOT_FOUND as a user error: the two are indistinguishable.
func (s *Service) RevokeSession(ctx context.Context, id uuid.UUID) (current bool, err error) {
	v, err := access.SessionCaller(ctx)
	if err != nil {
		return false, err
	}
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		n, err := tx.Session.Delete().Where(session.ID(id), session.UserID(v.UserID)).Exec(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.Problem(apperr.UserNotFound, "no such session", "id")
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.SessionRevoke, ActorID: v.UserID, TargetType: "Session", TargetID: id.String()})
	})
	if err != nil {
		return false, err
	}
	if id == v.SessionID && v.Credential == viewer.CredentialCookie {
		if err := web.ClearSessionCookie(ctx); err != nil {
			return true, fmt.Errorf("revoke session: %w", err)
		}
	}
	return id == v.SessionID, nil
}

// RevokeOtherSessions ends every session of the caller's account except
// the current one and returns how many ended.
func (s *Service) RevokeOtherSessions(ctx context.Context) (int, error) {
	v, err := access.SessionCaller(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		n, err = tx.Session.Delete().Where(session.UserID(v.UserID), session.IDNEQ(v.SessionID)).Exec(ctx)
		if err != nil {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.SessionRevoke, ActorID: v.UserID, TargetType: "User",
			TargetID: v.UserID.String(), Details: map[string]string{"count": fmt.Sprint(n)}})
	})
	return n, err
}

// rotate replaces the caller's cookie session with a new one (new token,
// same account) after a privilege change, so a token planted or copied
// before the change is worthless after it. Token-transport sessions are
// left alone: their client chose the token itself and has no way to
// receive a new one mid-request. It returns the session to hand out with
// setCookie once tx has committed, or nil when nothing rotated.
func (s *Service) rotate(ctx context.Context, tx *database.Tx, v viewer.Viewer, u *ent.User, mfa bool) (*LogInResult, error) {
	if v.Credential != viewer.CredentialCookie {
		return nil, nil
	}
	if err := tx.Session.DeleteOneID(v.SessionID).Exec(ctx); err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	res, err := s.createSession(ctx, tx, u, TransportCookie, mfa || v.MFA)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// setCookie sends a committed cookie session's token to the browser; nil
// and token sessions need nothing.
func setCookie(ctx context.Context, res *LogInResult) error {
	if res == nil || res.Session == nil || res.Session.Transport != TransportCookie {
		return nil
	}
	if err := web.SetSessionCookie(ctx, res.Token, res.Session.ExpiresAt); err != nil {
		return fmt.Errorf("session cookie: %w", err)
	}
	return nil
}
