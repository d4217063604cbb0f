package access

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/enrollment"
	"lectern/ent/lesson"
	"lectern/internal/loader"
	"lectern/internal/viewer"
)

// PrivateFieldsReadable reports whether the caller may read the private
// fields of account id (email, role, verification, disabled): the account
// itself — including one that signed in during this request — elevated
// administrators (viewer.IsElevatedAdmin) and the system.
func PrivateFieldsReadable(ctx context.Context, id uuid.UUID) bool {
	if v, ok := viewer.FromContext(ctx); ok && (v.IsElevatedAdmin() || v.IsSystem() || v.UserID == id) {
		return true
	}
	user, _ := signedInNow(ctx)
	return user != uuid.Nil && user == id
}

// LessonBodyReadable reports whether the caller may read the body of l, a
// lesson they can already see: PUBLIC lessons are open to all; ENROLLED ones
// to learners enrolled in the course, its staff and elevated admins
// (viewer.IsElevatedAdmin). Inside a request the caller's enrolments and
// course roles are looked up for all the request's courses at once, the
// roles only for a caller who is not enrolled.
func (a *Authorizer) LessonBodyReadable(ctx context.Context, l *ent.Lesson) (bool, error) {
	if l.Access == lesson.AccessPUBLIC {
		return true, nil
	}
	v, ok := viewer.FromContext(ctx)
	switch {
	case !ok:
		return false, nil
	case v.IsSystem(), v.IsElevatedAdmin():
		return true, nil
	}
	lookups := a.lookups(ctx)
	e, err := lookups.Enrollment(ctx, l.CourseID)
	if err != nil {
		return false, fmt.Errorf("lesson body access: %w", err)
	}
	if e != nil && e.Status != enrollment.StatusCANCELLED {
		return true, nil
	}
	role, err := lookups.CourseRole(ctx, l.CourseID)
	if err != nil {
		return false, fmt.Errorf("lesson body access: %w", err)
	}
	return role != "", nil
}

// lookups returns the request's loaders, or fresh ones outside a request.
func (a *Authorizer) lookups(ctx context.Context) *loader.Loaders {
	if l := loader.FromContext(ctx); l != nil {
		return l
	}
	return loader.New(a.client, 0)
}

// request remembers, for one request, an account that signed in during
// it. The request's viewer is fixed when it starts (anonymous, for logIn),
// yet the logIn payload must show the new viewer their own email and mark
// their new session as current.
type request struct {
	mu      sync.Mutex
	user    uuid.UUID
	session uuid.UUID
}

type requestKey struct{}

// WithRequest returns ctx able to remember a sign-in made during the
// request (SignedIn).
func WithRequest(ctx context.Context) context.Context {
	return context.WithValue(ctx, requestKey{}, &request{})
}

// SignedIn records that userID signed in during this request with
// session: from then on the request reads that account's private fields
// as its own. Outside WithRequest it does nothing.
func SignedIn(ctx context.Context, userID, session uuid.UUID) {
	if r, ok := ctx.Value(requestKey{}).(*request); ok {
		r.mu.Lock()
		r.user, r.session = userID, session
		r.mu.Unlock()
	}
}

func signedInNow(ctx context.Context) (user, session uuid.UUID) {
	if r, ok := ctx.Value(requestKey{}).(*request); ok {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.user, r.session
	}
	return uuid.Nil, uuid.Nil
}

// IsCurrentSession reports whether id is the session of this request, or
// the one a sign-in during it created.
func IsCurrentSession(ctx context.Context, id uuid.UUID) bool {
	if v, ok := viewer.FromContext(ctx); ok && v.SessionID == id {
		return true
	}
	_, s := signedInNow(ctx)
	return s != uuid.Nil && s == id
}
