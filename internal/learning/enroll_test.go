package learning_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"lectern/ent/enrollment"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

func TestEnroll(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("IsIdempotentAndKeepsProgressAcrossUnenrol", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			ana := e.learner(t, "ana")
			courseID := e.courseGID(t, sqlCourse)
			published, _ := e.lessons(t, sqlCourse)
			before := e.course(t, sqlCourse).EnrollmentCount

			first := ana.enroll(t, courseID)
			requireOK(t, "enroll", first.UserErrors)
			if first.Enrollment == nil || first.Enrollment.Status != "ACTIVE" || first.Enrollment.Course.ID != courseID {
				t.Fatalf("enroll = %+v, want an ACTIVE enrolment in %s", first.Enrollment, courseID)
			}
			row := e.enrollment(t, ana.ID, sqlCourse)
			if row == nil || row.GlobalID().String() != first.Enrollment.ID || row.Status != enrollment.StatusACTIVE {
				t.Fatalf("stored enrolment = %+v, want ACTIVE with ID %s", row, first.Enrollment.ID)
			}
			requireEnrollmentCount(t, e, sqlCourse, before+1)

			again := ana.enroll(t, courseID)
			requireOK(t, "enroll again", again.UserErrors)
			if again.Enrollment == nil || again.Enrollment.ID != first.Enrollment.ID || again.Enrollment.Status != "ACTIVE" {
				t.Fatalf("enroll again = %+v, want the same ACTIVE enrolment %s", again.Enrollment, first.Enrollment.ID)
			}
			requireEnrollmentCount(t, e, sqlCourse, before+1)
			if n := e.enrollmentCount(t, ana.ID); n != 1 {
				t.Fatalf("%d stored enrolments after enrolling twice, want 1", n)
			}

			for _, l := range published[:2] {
				requireOK(t, "completeLesson", ana.complete(t, l).UserErrors)
			}

			left := ana.unenroll(t, courseID)
			requireOK(t, "unenroll", left.UserErrors)
			if left.Enrollment == nil || left.Enrollment.ID != first.Enrollment.ID || left.Enrollment.Status != "CANCELLED" {
				t.Fatalf("unenroll = %+v, want enrolment %s CANCELLED", left.Enrollment, first.Enrollment.ID)
			}
			requireEnrollmentCount(t, e, sqlCourse, before)
			if row := e.enrollment(t, ana.ID, sqlCourse); row.Status != enrollment.StatusCANCELLED {
				t.Fatalf("stored status after unenroll = %s, want CANCELLED", row.Status)
			}

			leftAgain := ana.unenroll(t, courseID)
			requireOK(t, "unenroll again", leftAgain.UserErrors)
			if leftAgain.Enrollment == nil || leftAgain.Enrollment.Status != "CANCELLED" {
				t.Fatalf("unenroll again = %+v, want the CANCELLED enrolment", leftAgain.Enrollment)
			}
			requireEnrollmentCount(t, e, sqlCourse, before)

			back := ana.enroll(t, courseID)
			requireOK(t, "re-enroll", back.UserErrors)
			if back.Enrollment == nil || back.Enrollment.ID != first.Enrollment.ID || back.Enrollment.Status != "ACTIVE" {
				t.Fatalf("re-enroll = %+v, want enrolment %s ACTIVE again", back.Enrollment, first.Enrollment.ID)
			}
			if back.Enrollment.CompletedLessonCount != 2 || !near(back.Enrollment.Progress, 2.0/float64(len(published))) {
				t.Fatalf("re-enrolled progress = %d lessons (%v), want the 2 done before (%v)",
					back.Enrollment.CompletedLessonCount, back.Enrollment.Progress, 2.0/float64(len(published)))
			}
			requireEnrollmentCount(t, e, sqlCourse, before+1)
			if n, p := e.enrollmentCount(t, ana.ID), e.progressRows(t, ana.ID); n != 1 || p != 2 {
				t.Fatalf("stored after re-enrolling: %d enrolments, %d completions; want 1 and 2", n, p)
			}
		})

		t.Run("HidesDraftCourseLikeAMissingOne", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			ben := e.learner(t, "ben")
			random := ben.enroll(t, gid.New("Course", uuid.New()).String())
			requireUserError(t, random.UserErrors, "NOT_FOUND", "courseId")
			draft := ben.enroll(t, e.courseGID(t, draftCourse))
			if draft.Enrollment != nil || !reflect.DeepEqual(draft.UserErrors, random.UserErrors) {
				t.Fatalf("draft course answered %+v, want exactly the unknown course's answer %+v", draft, random)
			}
			archived := ben.enroll(t, e.courseGID(t, archivedCourse))
			if archived.Enrollment != nil || !reflect.DeepEqual(archived.UserErrors, random.UserErrors) {
				t.Fatalf("archived course answered %+v, want exactly the unknown course's answer %+v", archived, random)
			}
			if n := e.enrollmentCount(t, ben.ID); n != 0 {
				t.Fatalf("%d enrolments stored, want none", n)
			}
		})

		t.Run("RejectsIDOfAnotherType", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			cal := e.learner(t, "cal")
			published, _ := e.lessons(t, sqlCourse)
			for _, id := range []string{published[0], gid.New("User", cal.ID).String()} {
				p := cal.enroll(t, id)
				if p.Enrollment != nil {
					t.Fatalf("enroll(%s) = %+v, want no enrolment", id, p.Enrollment)
				}
				requireUserError(t, p.UserErrors, "NOT_FOUND", "courseId")
			}
			if n := e.enrollmentCount(t, cal.ID); n != 0 {
				t.Fatalf("%d enrolments stored, want none", n)
			}
		})

		t.Run("RejectsCourseTheCallerTeaches", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			// Priya is a LEARNER globally and an assistant of the backend
			// course; Amara co-instructs the GraphQL one.
			cases := []struct{ email, slug string }{{priyaEmail, backendCourse}, {amaraEmail, graphqlCourse}}
			for _, tc := range cases {
				staff := e.seeded(t, tc.email)
				before := e.course(t, tc.slug).EnrollmentCount
				p := staff.enroll(t, e.courseGID(t, tc.slug))
				if p.Enrollment != nil {
					t.Fatalf("%s enrolled in %s: %+v", tc.email, tc.slug, p.Enrollment)
				}
				requireUserError(t, p.UserErrors, "OWN_COURSE", "courseId")
				if row := e.enrollment(t, staff.ID, tc.slug); row != nil {
					t.Fatalf("stored enrolment %+v, want none", row)
				}
				requireEnrollmentCount(t, e, tc.slug, before)
			}
		})

		t.Run("ReportsStaffVisibleDraftAsNotPublished", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.seeded(t, amaraEmail)
			p := amara.enroll(t, e.courseGID(t, draftCourse))
			requireUserError(t, p.UserErrors, "NOT_PUBLISHED", "courseId")
		})

		t.Run("RequiresVerifiedEmail", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			dan := e.newUser(t, "dan", false)
			before := e.course(t, sqlCourse).EnrollmentCount
			p := dan.enroll(t, e.courseGID(t, sqlCourse))
			if p.Enrollment != nil {
				t.Fatalf("unverified account enrolled: %+v", p.Enrollment)
			}
			requireUserError(t, p.UserErrors, "EMAIL_NOT_VERIFIED")
			if n := e.enrollmentCount(t, dan.ID); n != 0 {
				t.Fatalf("%d enrolments stored, want none", n)
			}
			requireEnrollmentCount(t, e, sqlCourse, before)
		})

		t.Run("RequiresSignIn", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			before := e.course(t, sqlCourse).EnrollmentCount
			courseID := e.courseGID(t, sqlCourse)
			for _, doc := range []string{enrollDoc, unenrollDoc} {
				r := e.anonymous().Query(t, doc, map[string]any{"id": courseID})
				requireErrorCode(t, r, "UNAUTHENTICATED")
			}
			requireEnrollmentCount(t, e, sqlCourse, before)
		})

		t.Run("UnenrolOfHiddenCourseIsNotFound", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			// Priya's demo enrolment in the archived course, which she does
			// not teach and so can no longer see.
			priya := e.seeded(t, priyaEmail)
			before := e.enrollment(t, priya.ID, archivedCourse)
			if before == nil || before.Status == enrollment.StatusCANCELLED {
				t.Fatalf("demo data: priya's enrolment in %s is %+v, want a live one", archivedCourse, before)
			}
			r := priya.Query(t, unenrollDoc, map[string]any{"id": e.courseGID(t, archivedCourse)})
			after := e.enrollment(t, priya.ID, archivedCourse)
			if after.Status != before.Status {
				t.Errorf("stored status moved from %s to %s", before.Status, after.Status)
			}
			var out struct{ Unenroll *enrollmentPayload }
			_ = json.Unmarshal(r.Data, &out)
			if len(r.Errors) > 0 || out.Unenroll == nil || out.Unenroll.Enrollment != nil {
				t.Fatalf("answer = %s, errors %+v; want a NOT_FOUND user error and no enrolment", r.Data, r.Errors)
			}
			requireUserError(t, out.Unenroll.UserErrors, "NOT_FOUND", "courseId")
		})

		t.Run("UnenrolWithoutEnrolmentIsNotFound", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			eve := e.learner(t, "eve")
			p := eve.unenroll(t, e.courseGID(t, sqlCourse))
			if p.Enrollment != nil {
				t.Fatalf("unenroll = %+v, want no enrolment", p.Enrollment)
			}
			requireUserError(t, p.UserErrors, "NOT_FOUND", "courseId")
			if n := e.enrollmentCount(t, eve.ID); n != 0 {
				t.Fatalf("%d enrolments stored, want none", n)
			}
		})
	})
}

// requireEnrollmentCount fails unless the course's stored enrolment count
// is want.
func requireEnrollmentCount(t testing.TB, e *env, slug string, want int) {
	t.Helper()
	if got := e.course(t, slug).EnrollmentCount; got != want {
		t.Fatalf("%s enrollment_count = %d, want %d", slug, got, want)
	}
}
