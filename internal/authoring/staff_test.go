package authoring_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/google/uuid"

	"lectern/ent/course"
	"lectern/ent/coursemember"
	"lectern/ent/user"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/authoring"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

func TestAddCourseMember(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("OwnerAddsAssistantThenMakesThemInstructor", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			draft := amara.draft(t, "staffed-draft")
			courseID := parseCourseID(t, draft)
			helper := e.newCaller(t, "helper", user.RoleINSTRUCTOR, true)
			if helper.sees(t, "staffed-draft") {
				t.Fatal("a draft is visible to someone off its staff")
			}

			requireOK(t, "addCourseMember ASSISTANT", addMember(t, amara, draft, helper.ID, "ASSISTANT"))
			if got := e.staff(t, courseID); got[helper.ID] != coursemember.RoleASSISTANT || len(got) != 2 {
				t.Fatalf("staff = %v, want the owner and the new ASSISTANT", got)
			}
			// Assistants are staff, but they do not teach.
			if got, want := amara.instructors(t, "staffed-draft"), []string{userGID(amara.ID)}; !slices.Equal(got, want) {
				t.Fatalf("instructors = %v, want %v", got, want)
			}
			e.requireAudit(t, audit.CourseMemberAdd, courseID, 1, amara.ID, map[string]string{"role": "ASSISTANT", "user": helper.ID.String()})
			if !helper.sees(t, "staffed-draft") {
				t.Fatal("an assistant does not see the course's draft")
			}
			// An assistant changes nothing.
			helper.refused(t, updateCourse, input(map[string]any{"id": draft, "expectedVersion": 1, "title": "By the assistant"}), "FORBIDDEN")

			requireOK(t, "addCourseMember INSTRUCTOR", addMember(t, amara, draft, helper.ID, "INSTRUCTOR"))
			if got := e.staff(t, courseID); got[helper.ID] != coursemember.RoleINSTRUCTOR || len(got) != 2 {
				t.Fatalf("staff = %v, want the owner and the member now INSTRUCTOR", got)
			}
			e.requireAudit(t, audit.CourseMemberAdd, courseID, 2, amara.ID, map[string]string{"role": "INSTRUCTOR", "user": helper.ID.String()})
			if got, want := amara.instructors(t, "staffed-draft"), []string{userGID(amara.ID), userGID(helper.ID)}; !slices.Equal(got, want) {
				t.Fatalf("instructors = %v, want %v", got, want)
			}
			got := requireOK(t, "updateCourse by the new instructor", helper.call(t, updateCourse, input(map[string]any{
				"id": draft, "expectedVersion": 1, "title": "By the instructor"})))
			if got.Title != "By the instructor" {
				t.Fatalf("updated course: %+v", *got)
			}

			// Giving the role they already hold changes nothing.
			requireOK(t, "addCourseMember INSTRUCTOR again", addMember(t, amara, draft, helper.ID, "INSTRUCTOR"))
			if got := e.staff(t, courseID); got[helper.ID] != coursemember.RoleINSTRUCTOR || len(got) != 2 {
				t.Fatalf("staff = %v after repeating the role", got)
			}
		})

		// A course's learners cannot join its staff: their enrolment and
		// review would count in its numbers.
		t.Run("LearnerOfTheCourseCannotJoinItsStaff", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			draft := amara.draft(t, "learners-not-staff")
			courseID := parseCourseID(t, draft)
			enrolled := e.newUser(t, "enrolled-instructor", user.RoleINSTRUCTOR, true)
			e.db.Ent.Enrollment.Create().SetUserID(enrolled.ID).SetCourseID(courseID).ExecX(sys())
			requireUserError(t, addMember(t, amara, draft, enrolled.ID, "ASSISTANT"), "LEARNER_OF_COURSE", "input", "userId")
			if got := e.staff(t, courseID); len(got) != 1 {
				t.Fatalf("staff = %v after a refused learner, want the owner alone", got)
			}
		})

		// Teaching needs the global INSTRUCTOR role: a learner may assist
		// but not be made a course instructor, and nothing is stored.
		t.Run("LearnerCanAssistButNotTeach", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			draft := amara.draft(t, "learner-staff")
			courseID := parseCourseID(t, draft)
			learner := e.newCaller(t, "learner-helper", user.RoleLEARNER, true)
			requireUserError(t, addMember(t, amara, draft, learner.ID, "INSTRUCTOR"), "INVALID", "input", "role")
			if got := e.staff(t, courseID); len(got) != 1 {
				t.Fatalf("staff = %v after a refused INSTRUCTOR role, want the owner alone", got)
			}
			requireOK(t, "addCourseMember ASSISTANT", addMember(t, amara, draft, learner.ID, "ASSISTANT"))
		})

		t.Run("OwnerRoleIsNotGivenThroughTheAPI", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			draft := amara.draft(t, "one-owner")
			courseID := parseCourseID(t, draft)
			other := e.newUser(t, "would-be-owner", user.RoleINSTRUCTOR, true)
			// OWNER is not a CourseMemberRole, so the schema refuses it.
			r := amara.Query(t, addCourseMember.doc, input(map[string]any{"courseId": draft, "userId": userGID(other.ID), "role": "OWNER"}))
			if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "GRAPHQL_VALIDATION_FAILED" {
				t.Fatalf("role OWNER: want one GRAPHQL_VALIDATION_FAILED error, got %+v (data %s)", r.Errors, r.Data)
			}
			if got := e.staff(t, courseID); len(got) != 1 || got[amara.ID] != coursemember.RoleOWNER {
				t.Fatalf("staff = %v, want the owner alone", got)
			}
			e.requireAudit(t, audit.CourseMemberAdd, courseID, 0, uuid.Nil, nil)
		})

		t.Run("OwnerIsNotReadded", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			draft := amara.draft(t, "owner-stays-owner")
			courseID := parseCourseID(t, draft)
			requireUserError(t, addMember(t, amara, draft, amara.ID, "INSTRUCTOR"), "INVALID", "input", "userId")
			if got := e.staff(t, courseID); len(got) != 1 || got[amara.ID] != coursemember.RoleOWNER {
				t.Fatalf("staff = %v, want the owner alone", got)
			}
		})

		t.Run("UnverifiedOrUnknownUserIsNotFound", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			draft := amara.draft(t, "hidden-users")
			courseID := parseCourseID(t, draft)
			unverified := e.newUser(t, "unverified", user.RoleLEARNER, false)
			hidden := addMember(t, amara, draft, unverified.ID, "ASSISTANT")
			requireUserError(t, hidden, "NOT_FOUND", "input", "userId")
			missing := addMember(t, amara, draft, uuid.New(), "ASSISTANT")
			requireUserError(t, missing, "NOT_FOUND", "input", "userId")
			if string(hidden.Raw) != string(missing.Raw) {
				t.Errorf("an unverified user answers\n  %s\nbut a missing one answers\n  %s", hidden.Raw, missing.Raw)
			}
			if got := e.staff(t, courseID); len(got) != 1 {
				t.Fatalf("staff = %v, want the owner alone", got)
			}
			e.requireAudit(t, audit.CourseMemberAdd, courseID, 0, uuid.Nil, nil)
		})

		t.Run("NonOwnerIsForbidden", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			kenji := e.user(t, kenjiEmail)
			// Amara co-teaches graphql-api-design; Priya assists on the
			// back-end course.
			for _, tt := range []struct {
				who   *caller
				slug  string
				label string
			}{
				{amara, graphqlCourse, "course instructor"},
				{e.as(t, priyaEmail), backendCourse, "assistant"},
			} {
				c := e.course(t, tt.slug)
				staff := e.staff(t, c.ID)
				tt.who.refused(t, addCourseMember, input(map[string]any{"courseId": courseGID(c.ID),
					"userId": userGID(kenji.ID), "role": "ASSISTANT"}), "FORBIDDEN")
				if got := e.staff(t, c.ID); !maps.Equal(got, staff) {
					t.Fatalf("%s: staff changed from %v to %v", tt.label, staff, got)
				}
			}
		})

		t.Run("AdministratorNeedsMFA", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			draft := amara.draft(t, "admin-staffed")
			courseID := parseCourseID(t, draft)
			kenji := e.user(t, kenjiEmail)
			// Without MFA an administrator cannot see someone else's draft.
			requireUserError(t, e.as(t, adminEmail).call(t, addCourseMember, input(map[string]any{"courseId": draft,
				"userId": userGID(kenji.ID), "role": "ASSISTANT"})), "NOT_FOUND", "input", "courseId")
			if got := e.staff(t, courseID); len(got) != 1 {
				t.Fatalf("staff = %v, want the owner alone", got)
			}
			mfa := e.mfaAdmin(t)
			requireOK(t, "addCourseMember by an MFA admin", addMember(t, mfa, draft, kenji.ID, "ASSISTANT"))
			if got := e.staff(t, courseID); got[kenji.ID] != coursemember.RoleASSISTANT {
				t.Fatalf("staff = %v, want Kenji as ASSISTANT", got)
			}
			e.requireAudit(t, audit.CourseMemberAdd, courseID, 1, mfa.ID, map[string]string{"role": "ASSISTANT", "user": kenji.ID.String()})
		})

		t.Run("StrangerToADraftSeesNotFound", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			stranger := e.newCaller(t, "stranger", user.RoleINSTRUCTOR, true)
			draft := amara.draft(t, "closed-draft")
			requireUserError(t, addMember(t, stranger, draft, stranger.ID, "INSTRUCTOR"), "NOT_FOUND", "input", "courseId")
			if got := e.staff(t, parseCourseID(t, draft)); len(got) != 1 {
				t.Fatalf("staff = %v, want the owner alone", got)
			}
		})
	})
}

// TestAddCourseMemberRefusesOwnerRole calls the service directly: the
// GraphQL enum cannot carry OWNER, but any other caller of the service can.
func TestAddCourseMemberRefusesOwnerRole(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		db := testenv.Fresh(t, dialect, testenv.DemoSignIn)
		svc := authoring.New(db, audit.New(nil), nil, nil)
		amara, kenji := userRow(t, db, amaraEmail), userRow(t, db, kenjiEmail)
		c := courseRow(t, db, backendCourse)
		ctx := viewer.NewContext(context.Background(), viewer.Viewer{UserID: amara, Role: viewer.RoleInstructor,
			Credential: viewer.CredentialSessionToken, SessionID: uuid.New()})

		_, err := svc.AddCourseMember(ctx, c, kenji, coursemember.RoleOWNER)
		fields, ok := apperr.FieldsOf(err)
		if !ok || len(fields) != 1 || fields[0].Code != apperr.UserInvalid ||
			len(fields[0].Field) != 1 || fields[0].Field[0] != "role" {
			// The domain names the field; the GraphQL layer adds "input".
			t.Fatalf("AddCourseMember(OWNER) = %v, want INVALID at role", err)
		}
		n, err := db.Ent.CourseMember.Query().Where(coursemember.CourseID(c), coursemember.UserID(kenji)).Count(sys())
		if err != nil || n != 0 {
			t.Fatalf("memberships of the refused user: %d (%v)", n, err)
		}
	})
}

func userRow(t testing.TB, db *database.DB, email string) uuid.UUID {
	t.Helper()
	id, err := db.Ent.User.Query().Where(user.Email(email)).OnlyID(sys())
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return id
}

func courseRow(t testing.TB, db *database.DB, slug string) uuid.UUID {
	t.Helper()
	id, err := db.Ent.Course.Query().Where(course.Slug(slug)).OnlyID(sys())
	if err != nil {
		t.Fatalf("course %s: %v", slug, err)
	}
	return id
}

func TestRemoveCourseMember(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("OwnerRemovesInstructor", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			// Daniel co-teaches Amara's draft.
			daniel := e.as(t, danielEmail)
			c := e.course(t, draftCourse)
			if !daniel.sees(t, draftCourse) {
				t.Fatal("demo data: Daniel does not see the draft he co-teaches")
			}
			got := requireOK(t, "removeCourseMember", removeMember(t, amara, courseGID(c.ID), daniel.ID))
			if got.Slug != draftCourse {
				t.Fatalf("payload course: %+v", *got)
			}
			staff := e.staff(t, c.ID)
			if _, still := staff[daniel.ID]; still || staff[amara.ID] != coursemember.RoleOWNER {
				t.Fatalf("staff = %v, want Daniel gone and Amara still OWNER", staff)
			}
			e.requireAudit(t, audit.CourseMemberRemove, c.ID, 1, amara.ID, map[string]string{"role": "INSTRUCTOR", "user": daniel.ID.String()})
			if daniel.sees(t, draftCourse) {
				t.Fatal("a removed instructor still sees the draft")
			}
			requireUserError(t, daniel.call(t, updateCourse, input(map[string]any{"id": courseGID(c.ID),
				"expectedVersion": c.Version, "title": "Still mine?"})), "NOT_FOUND", "input", "id")
			requireUnchanged(t, e, c)
		})

		t.Run("OwnerRemovesAssistant", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			c := e.course(t, backendCourse)
			priya := e.user(t, priyaEmail)
			requireOK(t, "removeCourseMember", removeMember(t, amara, courseGID(c.ID), priya.ID))
			if _, still := e.staff(t, c.ID)[priya.ID]; still {
				t.Fatal("the assistant is still on the staff")
			}
			e.requireAudit(t, audit.CourseMemberRemove, c.ID, 1, amara.ID, map[string]string{"role": "ASSISTANT", "user": priya.ID.String()})
		})

		t.Run("OwnerStays", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			draft := amara.draft(t, "keeps-its-owner")
			courseID := parseCourseID(t, draft)
			requireUserError(t, removeMember(t, amara, draft, amara.ID), "INVALID", "input", "userId")
			if got := e.staff(t, courseID); got[amara.ID] != coursemember.RoleOWNER {
				t.Fatalf("staff = %v, want Amara still OWNER", got)
			}
			e.requireAudit(t, audit.CourseMemberRemove, courseID, 0, uuid.Nil, nil)
		})

		t.Run("NonMemberIsNotFound", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			draft := amara.draft(t, "not-on-staff")
			courseID := parseCourseID(t, draft)
			requireUserError(t, removeMember(t, amara, draft, e.user(t, kenjiEmail).ID), "NOT_FOUND", "input", "userId")
			requireUserError(t, removeMember(t, amara, draft, uuid.New()), "NOT_FOUND", "input", "userId")
			if got := e.staff(t, courseID); len(got) != 1 {
				t.Fatalf("staff = %v, want the owner alone", got)
			}
			e.requireAudit(t, audit.CourseMemberRemove, courseID, 0, uuid.Nil, nil)
		})

		t.Run("NonOwnerIsForbidden", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			// Amara co-teaches graphql-api-design, where Hannah assists.
			c := e.course(t, graphqlCourse)
			hannah := e.user(t, hannahEmail)
			staff := e.staff(t, c.ID)
			amara.refused(t, removeCourseMember, input(map[string]any{"courseId": courseGID(c.ID), "userId": userGID(hannah.ID)}), "FORBIDDEN")
			// An assistant may not take themselves or others off either.
			hannahCaller := e.as(t, hannahEmail)
			hannahCaller.refused(t, removeCourseMember, input(map[string]any{"courseId": courseGID(c.ID), "userId": userGID(amara.ID)}), "FORBIDDEN")
			if got := e.staff(t, c.ID); !maps.Equal(got, staff) {
				t.Fatalf("staff changed from %v to %v", staff, got)
			}
			e.requireAudit(t, audit.CourseMemberRemove, c.ID, 0, uuid.Nil, nil)
		})
	})
}

func addMember(t testing.TB, c *caller, courseID string, userID uuid.UUID, role string) coursePayload {
	t.Helper()
	return c.call(t, addCourseMember, input(map[string]any{"courseId": courseID, "userId": userGID(userID), "role": role}))
}

func removeMember(t testing.TB, c *caller, courseID string, userID uuid.UUID) coursePayload {
	t.Helper()
	return c.call(t, removeCourseMember, input(map[string]any{"courseId": courseID, "userId": userGID(userID)}))
}
