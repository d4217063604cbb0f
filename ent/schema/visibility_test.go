package schema_test

import (
	"context"
	"os"
	"testing"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/coursemember"
	"lectern/ent/enrollment"
	"lectern/ent/lesson"
	"lectern/ent/user"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestVisibility checks the row rules for each kind of caller directly
// against the data layer, so they hold for any resolver that will ever read
// these tables.
func TestVisibility(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		testenv.Seeded(t, db)
		f := loadFacts(t, db.Ent)
		as := func(id uuid.UUID, role viewer.Role) context.Context {
			return viewer.NewContext(context.Background(), viewer.Viewer{UserID: id, Role: role, Credential: viewer.CredentialCookie})
		}
		anonymous := context.Background()
		owner := as(f.draftOwner, viewer.RoleInstructor)
		outsider := as(f.outsider, viewer.RoleInstructor)
		learner := as(f.learner, viewer.RoleLearner)
		admin := viewer.NewContext(context.Background(), viewer.Viewer{UserID: f.admin, Role: viewer.RoleAdmin,
			Credential: viewer.CredentialCookie, MFA: true})
		// Without MFA, or through an API token, an administrator reads as
		// any signed-in user: a password or a token alone exposes nothing
		// of other people's.
		adminNoMFA := as(f.admin, viewer.RoleAdmin)
		adminToken := viewer.NewContext(context.Background(), viewer.Viewer{UserID: f.admin, Role: viewer.RoleAdmin,
			Credential: viewer.CredentialAPIToken, Scopes: []string{viewer.ScopeRead}, MFA: true})

		t.Run("CoursesByCaller", func(t *testing.T) {
			for name, tc := range map[string]struct {
				ctx       context.Context
				wantDraft bool
				wantAll   bool
			}{
				"Anonymous":     {ctx: anonymous},
				"UnrelatedUser": {ctx: outsider},
				"Learner":       {ctx: learner},
				"DraftOwner":    {ctx: owner, wantDraft: true},
				"AdminWithMFA":  {ctx: admin, wantDraft: true, wantAll: true},
				"AdminNoMFA":    {ctx: adminNoMFA},
				"AdminToken":    {ctx: adminToken},
			} {
				t.Run(name, func(t *testing.T) {
					draft, err := db.Ent.Course.Query().Where(course.ID(f.draftCourse)).Exist(tc.ctx)
					if err != nil {
						t.Fatal(err)
					}
					if draft != tc.wantDraft {
						t.Errorf("sees the draft course: %v, want %v", draft, tc.wantDraft)
					}
					n := db.Ent.Course.Query().CountX(tc.ctx)
					if tc.wantAll && n != f.allCourses {
						t.Errorf("sees %d courses, want all %d", n, f.allCourses)
					}
					if !tc.wantAll && !tc.wantDraft && n != f.publishedCourses {
						t.Errorf("sees %d courses, want the %d published", n, f.publishedCourses)
					}
				})
			}
		})

		t.Run("DraftLessonsOnlyForStaff", func(t *testing.T) {
			q := func(ctx context.Context) int {
				return db.Ent.Lesson.Query().Where(lesson.StatusEQ(lesson.StatusDRAFT), lesson.CourseID(f.draftCourse)).CountX(ctx)
			}
			if n := q(anonymous) + q(outsider) + q(learner) + q(adminNoMFA) + q(adminToken); n != 0 {
				t.Errorf("callers outside the course see %d draft lessons", n)
			}
			if q(owner) == 0 || q(admin) == 0 {
				t.Error("the course owner and admins with MFA must see its draft lessons")
			}
		})

		t.Run("EnrollmentsArePrivate", func(t *testing.T) {
			if n := db.Ent.Enrollment.Query().CountX(anonymous); n != 0 {
				t.Errorf("anonymous callers see %d enrolments", n)
			}
			own := db.Ent.Enrollment.Query().AllX(learner)
			if len(own) == 0 {
				t.Fatal("a learner sees none of their own enrolments")
			}
			for _, e := range own {
				if e.UserID != f.learner {
					t.Errorf("learner sees another user's enrolment %s", e.ID)
				}
			}
			if n := db.Ent.LessonProgress.Query().CountX(outsider); n != 0 {
				t.Errorf("an unrelated user sees %d progress rows", n)
			}
			all := db.Ent.Enrollment.Query().CountX(viewer.SystemContext(context.Background()))
			if n := db.Ent.Enrollment.Query().CountX(admin); n != all {
				t.Errorf("admin with MFA sees %d of %d enrolments", n, all)
			}
			allProgress := db.Ent.LessonProgress.Query().CountX(viewer.SystemContext(context.Background()))
			if n := db.Ent.LessonProgress.Query().CountX(admin); n != allProgress {
				t.Errorf("admin with MFA sees %d of %d progress rows", n, allProgress)
			}
			// The demo administrator has no enrolment of their own.
			for name, ctx := range map[string]context.Context{"without MFA": adminNoMFA, "through an API token": adminToken} {
				if n := db.Ent.Enrollment.Query().CountX(ctx) + db.Ent.LessonProgress.Query().CountX(ctx); n != 0 {
					t.Errorf("admin %s sees %d enrolments and progress rows of other people", name, n)
				}
			}
		})
	})
}

// facts are identities and counts read from the demo data as the system.
type facts struct {
	draftCourse                  uuid.UUID
	draftOwner, outsider         uuid.UUID
	learner, admin               uuid.UUID
	allCourses, publishedCourses int
}

func loadFacts(t *testing.T, client *ent.Client) facts {
	t.Helper()
	ctx := viewer.SystemContext(context.Background())
	var f facts
	f.draftCourse = client.Course.Query().Where(course.StatusEQ(course.StatusDRAFT)).FirstIDX(ctx)
	f.draftOwner = client.CourseMember.Query().
		Where(coursemember.CourseID(f.draftCourse), coursemember.RoleEQ(coursemember.RoleOWNER)).OnlyX(ctx).UserID
	f.outsider = client.User.Query().
		Where(user.RoleEQ(user.RoleINSTRUCTOR), user.Not(user.HasMembershipsWith(coursemember.CourseID(f.draftCourse)))).
		FirstIDX(ctx)
	f.learner = client.Enrollment.Query().Where(enrollment.StatusNEQ(enrollment.StatusCANCELLED)).FirstX(ctx).UserID
	f.admin = client.User.Query().Where(user.RoleEQ(user.RoleADMIN)).FirstIDX(ctx)
	f.allCourses = client.Course.Query().CountX(ctx)
	f.publishedCourses = client.Course.Query().Where(course.StatusEQ(course.StatusPUBLISHED)).CountX(ctx)
	return f
}
