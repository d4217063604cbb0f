package export

import (
	"time"

	"github.com/google/uuid"

	"lectern/ent"
)

// The records of a MY_DATA_JSON file, field by field. Nothing here may
// hold a secret or a hash of one: no password hash, TOTP secret, token,
// session or recovery code hash.

type profileView struct {
	ID              uuid.UUID  `json:"id"`
	Email           string     `json:"email"`
	DisplayName     string     `json:"display_name"`
	Bio             string     `json:"bio"`
	Role            string     `json:"role"`
	EmailVerifiedAt *time.Time `json:"email_verified_at"`
	MFAEnabledAt    *time.Time `json:"mfa_enabled_at"`
	DisabledAt      *time.Time `json:"disabled_at"`
	AvatarID        *uuid.UUID `json:"avatar_id"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

func profileOf(u *ent.User) profileView {
	return profileView{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Bio: u.Bio, Role: string(u.Role),
		EmailVerifiedAt: u.EmailVerifiedAt, MFAEnabledAt: u.MfaEnabledAt, DisabledAt: u.DisabledAt,
		AvatarID: u.AvatarID, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// courseRef names a course a record is about; nil edges (never, for rows
// the system reads) give the ID alone.
type courseRef struct {
	ID    uuid.UUID `json:"id"`
	Slug  string    `json:"slug,omitempty"`
	Title string    `json:"title,omitempty"`
}

func courseRefOf(id uuid.UUID, c *ent.Course) courseRef {
	if c == nil {
		return courseRef{ID: id}
	}
	return courseRef{ID: id, Slug: c.Slug, Title: c.Title}
}

type roleView struct {
	Course courseRef `json:"course"`
	Role   string    `json:"role"`
	Since  time.Time `json:"since"`
}

func roleOf(m *ent.CourseMember) any {
	return roleView{Course: courseRefOf(m.CourseID, m.Edges.Course), Role: string(m.Role), Since: m.CreatedAt}
}

type enrolmentView struct {
	ID               uuid.UUID  `json:"id"`
	Course           courseRef  `json:"course"`
	Status           string     `json:"status"`
	CompletedLessons int        `json:"completed_lessons"`
	CompletedAt      *time.Time `json:"completed_at"`
	EnrolledAt       time.Time  `json:"enrolled_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

func enrolmentOf(e *ent.Enrollment) any {
	return enrolmentView{ID: e.ID, Course: courseRefOf(e.CourseID, e.Edges.Course), Status: string(e.Status),
		CompletedLessons: e.CompletedLessonCount, CompletedAt: e.CompletedAt, EnrolledAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

type lessonRef struct {
	ID    uuid.UUID `json:"id"`
	Slug  string    `json:"slug,omitempty"`
	Title string    `json:"title,omitempty"`
}

type progressView struct {
	EnrollmentID uuid.UUID `json:"enrollment_id"`
	Lesson       lessonRef `json:"lesson"`
	CompletedAt  time.Time `json:"completed_at"`
}

func progressOf(p *ent.LessonProgress) any {
	l := lessonRef{ID: p.LessonID}
	if e := p.Edges.Lesson; e != nil {
		l.Slug, l.Title = e.Slug, e.Title
	}
	return progressView{EnrollmentID: p.EnrollmentID, Lesson: l, CompletedAt: p.CompletedAt}
}

type reviewView struct {
	ID        uuid.UUID `json:"id"`
	Course    courseRef `json:"course"`
	Rating    int       `json:"rating"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func reviewOf(r *ent.Review) any {
	return reviewView{ID: r.ID, Course: courseRefOf(r.CourseID, r.Edges.Course), Rating: r.Rating, Body: r.Body,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type sessionView struct {
	ID         uuid.UUID `json:"id"`
	Transport  string    `json:"transport"`
	MFA        bool      `json:"mfa"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	ClientAddr string    `json:"client_addr"`
	UserAgent  string    `json:"user_agent"`
}

func sessionOf(s *ent.Session) any {
	return sessionView{ID: s.ID, Transport: string(s.Transport), MFA: s.Mfa, CreatedAt: s.CreatedAt,
		LastSeenAt: s.LastSeenAt, ExpiresAt: s.ExpiresAt, ClientAddr: s.ClientAddr, UserAgent: s.UserAgent}
}

type tokenView struct {
	ID         uuid.UUID  `json:"id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func tokenOf(t *ent.APIToken) any {
	return tokenView{ID: t.ID, Name: t.Name, Scopes: t.Scopes, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}
}

type uploadView struct {
	ID          uuid.UUID `json:"id"`
	Purpose     string    `json:"purpose"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	ByteSize    int64     `json:"byte_size"`
	Status      string    `json:"status"`
	Title       *string   `json:"title"`
	CreatedAt   time.Time `json:"created_at"`
}

func uploadOf(a *ent.Asset) any {
	return uploadView{ID: a.ID, Purpose: string(a.Purpose), Filename: a.Filename, ContentType: a.ContentType,
		ByteSize: a.ByteSize, Status: string(a.Status), Title: a.Title, CreatedAt: a.CreatedAt}
}

type exportView struct {
	ID         uuid.UUID  `json:"id"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"`
	CourseID   *uuid.UUID `json:"course_id"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
}

func exportOf(e *ent.Export) any {
	return exportView{ID: e.ID, Kind: string(e.Kind), Status: string(e.Status), CourseID: e.CourseID,
		CreatedAt: e.CreatedAt, FinishedAt: e.FinishedAt, ExpiresAt: e.ExpiresAt}
}

type eventView struct {
	ID         uuid.UUID         `json:"id"`
	Action     string            `json:"action"`
	ActorID    *uuid.UUID        `json:"actor_id"`
	TargetType string            `json:"target_type"`
	TargetID   string            `json:"target_id"`
	ClientAddr string            `json:"client_addr,omitempty"`
	RequestID  string            `json:"request_id,omitempty"`
	Details    map[string]string `json:"details,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
}

// eventOf is an audit event about user userID. Where someone else acted
// on them (an administrator), the actor's address and request stay out:
// they are the actor's data.
func eventOf(e *ent.AuditEvent, userID uuid.UUID) any {
	v := eventView{ID: e.ID, Action: e.Action, ActorID: e.ActorID, TargetType: e.TargetType, TargetID: e.TargetID,
		Details: e.Details, CreatedAt: e.CreatedAt}
	if e.ActorID != nil && *e.ActorID == userID {
		v.ClientAddr, v.RequestID = e.ClientAddr, e.RequestID
	}
	return v
}
