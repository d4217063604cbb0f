package access_test

import (
	"context"
	"os"
	"testing"

	"github.com/google/uuid"

	"lectern/ent/coursemember"
	"lectern/ent/enrollment"
	"lectern/ent/lesson"
	"lectern/ent/user"
	"lectern/internal/access"
	"lectern/internal/database"
	"lectern/internal/loader"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
	"lectern/policy"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

func TestLessonBodyReadable(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		testenv.Seeded(t, db)
		sys := viewer.SystemContext(context.Background())
		enrolment := db.Ent.Enrollment.Query().Where(enrollment.StatusNEQ(enrollment.StatusCANCELLED)).FirstX(sys)
		locked := db.Ent.Lesson.Query().
			Where(lesson.CourseID(enrolment.CourseID), lesson.AccessEQ(lesson.AccessENROLLED), lesson.StatusEQ(lesson.StatusPUBLISHED)).
			FirstX(sys)
		open := db.Ent.Lesson.Query().
			Where(lesson.CourseID(enrolment.CourseID), lesson.AccessEQ(lesson.AccessPUBLIC)).FirstX(sys)
		staff := db.Ent.CourseMember.Query().Where(coursemember.CourseID(enrolment.CourseID)).FirstX(sys).UserID
		stranger := db.Ent.User.Query().
			Where(user.RoleEQ(user.RoleLEARNER), user.Not(user.HasEnrollmentsWith(enrollment.CourseID(enrolment.CourseID))),
				user.Not(user.HasMembershipsWith(coursemember.CourseID(enrolment.CourseID)))).
			FirstIDX(sys)
		enforcer, err := policy.New()
		if err != nil {
			t.Fatal(err)
		}
		authz := access.New(enforcer, db.Ent)
		withLoader := func(v viewer.Viewer) context.Context {
			return loader.NewContext(viewer.NewContext(context.Background(), v), loader.New(db.Ent, 0))
		}
		as := func(id uuid.UUID, role viewer.Role) context.Context {
			return withLoader(viewer.Viewer{UserID: id, Role: role, Credential: viewer.CredentialCookie})
		}
		for name, tc := range map[string]struct {
			ctx        context.Context
			lockedBody bool
		}{
			"Anonymous":       {ctx: context.Background()},
			"NotEnrolled":     {ctx: as(stranger, viewer.RoleLearner)},
			"EnrolledLearner": {ctx: as(enrolment.UserID, viewer.RoleLearner), lockedBody: true},
			"CourseStaff":     {ctx: as(staff, viewer.RoleInstructor), lockedBody: true},
			// An administrator reads it from a session that passed MFA;
			// with a password alone, or a token, as anyone not enrolled.
			"AdminWithMFA": {ctx: withLoader(viewer.Viewer{UserID: uuid.New(), Role: viewer.RoleAdmin,
				Credential: viewer.CredentialCookie, MFA: true}), lockedBody: true},
			"AdminWithoutMFA": {ctx: as(uuid.New(), viewer.RoleAdmin)},
			"AdminAPIToken": {ctx: withLoader(viewer.Viewer{UserID: uuid.New(), Role: viewer.RoleAdmin,
				Credential: viewer.CredentialAPIToken, Scopes: []string{viewer.ScopeRead}})},
		} {
			t.Run(name, func(t *testing.T) {
				got, err := authz.LessonBodyReadable(tc.ctx, locked)
				if err != nil {
					t.Fatal(err)
				}
				if got != tc.lockedBody {
					t.Errorf("ENROLLED lesson body readable: %v, want %v", got, tc.lockedBody)
				}
				if ok, err := authz.LessonBodyReadable(tc.ctx, open); err != nil || !ok {
					t.Errorf("PUBLIC lesson body readable: %v (%v), want true", ok, err)
				}
			})
		}
	})
}
