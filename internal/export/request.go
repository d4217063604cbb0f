package export

import (
	"context"
	"fmt"
	"slices"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/coursemember"
	entexport "lectern/ent/export"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// Input is what requestExport asks for.
type Input struct {
	Kind entexport.Kind
	// CourseID is the course of a COURSE_LEARNERS_CSV; MY_DATA_JSON takes
	// none.
	CourseID *uuid.UUID
}

// Request records an export for the caller and enqueues its job, in one
// transaction, and returns the QUEUED export. The caller needs a verified
// address (the EMAIL_NOT_VERIFIED user error otherwise).
//
// COURSE_LEARNERS_CSV needs CourseID (REQUIRED) and the caller on the
// course's staff as its OWNER or an INSTRUCTOR, or an administrator from
// a session that passed MFA; any other course, whether it exists or not,
// is NOT_FOUND. MY_DATA_JSON takes no CourseID (INVALID) and needs a
// signed-in session (FORBIDDEN for an API token): the file lists the
// account's sessions and API tokens, which a token never reads. A caller
// with MaxActive exports QUEUED or RUNNING is RATE_LIMITED.
func (s *Service) Request(ctx context.Context, in Input) (*ent.Export, error) {
	v, err := access.VerifiedUser(ctx, s.db.Ent)
	if err != nil {
		return nil, err
	}
	if err := checkInput(v, in); err != nil {
		return nil, err
	}
	var out *ent.Export
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		// Exports are their requester's alone: no public reader sees them.
		tx.Touch()
		if err := s.lockUser(ctx, tx, v.UserID); err != nil {
			return err
		}
		if in.CourseID != nil {
			if err := mayExportCourse(ctx, tx, v, *in.CourseID); err != nil {
				return err
			}
		}
		active, err := tx.Export.Query().Where(entexport.UserID(v.UserID),
			entexport.StatusIn(entexport.StatusQUEUED, entexport.StatusRUNNING)).Count(ctx)
		if err != nil {
			return err
		}
		if active >= MaxActive {
			e := apperr.Limited(RetryAfter)
			e.Message = fmt.Sprintf("you have %d exports waiting or running; ask again once one has finished", MaxActive)
			return e
		}
		out, err = tx.Export.Create().SetUserID(v.UserID).SetKind(in.Kind).SetNillableCourseID(in.CourseID).
			SetCreatedAt(s.now().UTC()).SetUpdatedAt(s.now().UTC()).Save(ctx)
		if err != nil {
			return err
		}
		_, err = s.queue.InsertTx(ctx, tx, Args{ExportID: out.ID}, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("request export: %w", err)
	}
	return out, nil
}

// checkInput checks that the kind and the course go together, and that a
// MY_DATA_JSON comes from a session.
func checkInput(v viewer.Viewer, in Input) error {
	switch in.Kind {
	case CourseLearnersCSV:
		if in.CourseID == nil {
			return apperr.Problem(apperr.UserRequired, "a learners export needs the course", "courseId")
		}
	case MyDataJSON:
		if in.CourseID != nil {
			return apperr.Problem(apperr.UserInvalid, "an export of your data takes no course", "courseId")
		}
		if !v.SeesCredentials() {
			return apperr.New(apperr.Forbidden, "an export of your data lists your sessions and API tokens: ask for it from a signed-in session, not an API token")
		}
	default:
		return apperr.Problem(apperr.UserInvalid, "unknown export kind", "kind")
	}
	return nil
}

// lockUser holds the requester's row until tx ends, so that two requests
// of one user count the active exports in turn and cannot both insert a
// fourth. NO KEY UPDATE conflicts with itself but not with the key-share
// locks of foreign key checks, so the user's other writes (a new session,
// an enrolment) do not wait for it. SQLite runs one write transaction at a
// time already.
func (s *Service) lockUser(ctx context.Context, tx *database.Tx, id uuid.UUID) error {
	if s.db.Dialect != database.Postgres {
		return nil
	}
	var locked uuid.UUID
	if err := tx.SQL.QueryRowContext(ctx, `SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE`, id).Scan(&locked); err != nil {
		return fmt.Errorf("lock user: %w", err)
	}
	return nil
}

// exportRoles are the course roles whose holders may export its learners.
var exportRoles = []coursemember.Role{coursemember.RoleOWNER, coursemember.RoleINSTRUCTOR}

// mayExportCourse returns nil when v may export the learners of course
// id, and the NOT_FOUND user error otherwise: whether a course the caller
// does not teach exists is none of their business.
func mayExportCourse(ctx context.Context, tx *database.Tx, v viewer.Viewer, id uuid.UUID) error {
	notFound := apperr.Problem(apperr.UserNotFound, "not found", "courseId")
	if v.IsElevatedAdmin() {
		// Elevated administrators see every course.
		ok, err := tx.Course.Query().Where(course.ID(id)).Exist(ctx)
		if err == nil && !ok {
			err = notFound
		}
		return err
	}
	role, err := access.CourseRole(ctx, tx, id, v.UserID)
	if err != nil {
		return err
	}
	if role == nil || !slices.Contains(exportRoles, *role) {
		return notFound
	}
	return nil
}

// Page is a Relay page request.
type Page struct {
	After  *entgql.Cursor[uuid.UUID]
	First  *int
	Before *entgql.Cursor[uuid.UUID]
	Last   *int
}

// newestFirst orders viewer.exports.
var newestFirst = &ent.ExportOrder{Field: ent.ExportOrderFieldCreatedAt, Direction: entgql.OrderDirectionDesc}

// List returns a page of user userID's exports, newest first, as the
// caller sees them: the row rules show exports to their requester only,
// so anyone else gets an empty page. Each export comes with its course's
// slug when the caller can see the course, for the file's name (URL).
func (s *Service) List(ctx context.Context, userID uuid.UUID, page Page) (*ent.ExportConnection, error) {
	conn, err := s.db.Ent.Export.Query().Where(entexport.UserID(userID)).
		WithCourse(func(q *ent.CourseQuery) { q.Select(course.FieldID, course.FieldSlug) }).
		Paginate(ctx, page.After, page.First, page.Before, page.Last, ent.WithExportOrder(newestFirst))
	if err != nil {
		return nil, fmt.Errorf("list exports: %w", err)
	}
	return conn, nil
}
