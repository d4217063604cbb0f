package authoring_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/course"
	"lectern/ent/lesson"
	"lectern/ent/user"
	"lectern/internal/audit"
	"lectern/internal/testenv"
)

func TestPublishCourse(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("DemoDraftPublishesThenArchivesAndReturns", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara, anonymous := e.as(t, amaraEmail), e.anonymous()
			before := e.course(t, draftCourse)
			if before.Status != course.StatusDRAFT || before.PublishedAt != nil {
				t.Fatalf("demo data: %s is %s with publishedAt %v, want an unpublished draft", draftCourse, before.Status, before.PublishedAt)
			}
			if slices.Contains(anonymous.catalogue(t), draftCourse) {
				t.Fatal("anonymous callers see a draft in the catalogue")
			}

			start := time.Now().Add(-time.Second)
			got := requireOK(t, "publishCourse", amara.call(t, publishCourse, byID(courseGID(before.ID))))
			if got.Status != "PUBLISHED" || got.Version != before.Version+1 || got.PublishedAt == nil ||
				got.PublishedAt.Before(start) || got.PublishedAt.After(time.Now().Add(time.Second)) {
				t.Fatalf("published course: %+v", *got)
			}
			published := e.courseByID(t, before.ID)
			if published.Status != course.StatusPUBLISHED || !sameInstant(published.PublishedAt, got.PublishedAt) {
				t.Fatalf("stored: status %s publishedAt %v, payload publishedAt %v", published.Status, published.PublishedAt, got.PublishedAt)
			}
			e.requireAudit(t, audit.CoursePublish, before.ID, 1, amara.ID, nil)
			if !slices.Contains(anonymous.catalogue(t), draftCourse) || !anonymous.sees(t, draftCourse) {
				t.Fatal("anonymous callers do not see the course once it is published")
			}

			archived := requireOK(t, "archiveCourse", amara.call(t, archiveCourse, byID(courseGID(before.ID))))
			if archived.Status != "ARCHIVED" || archived.Version != before.Version+2 || !sameInstant(archived.PublishedAt, got.PublishedAt) {
				t.Fatalf("archived course: %+v (first published %v)", *archived, got.PublishedAt)
			}
			e.requireAudit(t, audit.CourseArchive, before.ID, 1, amara.ID, nil)
			if slices.Contains(anonymous.catalogue(t), draftCourse) {
				t.Fatal("anonymous callers still see an archived course in the catalogue")
			}

			again := requireOK(t, "publishCourse again", amara.call(t, publishCourse, byID(courseGID(before.ID))))
			if again.Status != "PUBLISHED" || again.Version != before.Version+3 || !sameInstant(again.PublishedAt, got.PublishedAt) {
				t.Fatalf("republished course: %+v (first published %v)", *again, got.PublishedAt)
			}
			if row := e.courseByID(t, before.ID); !sameInstant(row.PublishedAt, published.PublishedAt) {
				t.Fatalf("stored publishedAt moved from %v to %v", published.PublishedAt, row.PublishedAt)
			}
			e.requireAudit(t, audit.CoursePublish, before.ID, 2, amara.ID, nil)
			if !slices.Contains(anonymous.catalogue(t), draftCourse) {
				t.Fatal("anonymous callers do not see the republished course")
			}
		})

		t.Run("NeedsSummaryAndSectionWithPublishedLesson", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			created := requireOK(t, "createCourse", amara.call(t, createCourse, input(map[string]any{
				"title": "Not Ready", "slug": "not-ready"})))
			courseID := parseCourseID(t, created.ID)
			// The message says what is missing.
			notPublishable := func(t *testing.T, stage string, mentions ...string) {
				t.Helper()
				before := e.courseByID(t, courseID)
				p := amara.call(t, publishCourse, byID(created.ID))
				requireUserError(t, p, "NOT_PUBLISHABLE", "id")
				for _, m := range mentions {
					if !strings.Contains(p.UserErrors[0].Message, m) {
						t.Errorf("%s: message %q does not mention %q", stage, p.UserErrors[0].Message, m)
					}
				}
				requireUnchanged(t, e, before)
				if before.Status != course.StatusDRAFT {
					t.Fatalf("%s: status %s, want DRAFT", stage, before.Status)
				}
				e.requireAudit(t, audit.CoursePublish, courseID, 0, uuid.Nil, nil)
			}

			// No summary and no content.
			notPublishable(t, "empty course", "summary", "published lesson")
			// Content but no summary.
			e.addSection(t, courseID, lesson.StatusPUBLISHED)
			notPublishable(t, "no summary", "summary")

			// A summary, but only empty sections and sections of drafts.
			other := requireOK(t, "createCourse", amara.call(t, createCourse, input(map[string]any{
				"title": "Drafts Only", "slug": "drafts-only", "summary": "Lessons still being written."})))
			courseID = parseCourseID(t, other.ID)
			created = other
			notPublishable(t, "no sections", "published lesson")
			e.addSection(t, courseID)
			e.addSection(t, courseID, lesson.StatusDRAFT, lesson.StatusDRAFT)
			notPublishable(t, "draft lessons only", "published lesson")

			e.addSection(t, courseID, lesson.StatusDRAFT, lesson.StatusPUBLISHED)
			got := requireOK(t, "publishCourse", amara.call(t, publishCourse, byID(created.ID)))
			if got.Status != "PUBLISHED" || got.PublishedAt == nil {
				t.Fatalf("published course: %+v", *got)
			}
			e.requireAudit(t, audit.CoursePublish, courseID, 1, amara.ID, nil)
		})

		t.Run("PublishingAPublishedCourseChangesNothing", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			before := e.course(t, backendCourse)
			got := requireOK(t, "publishCourse", amara.call(t, publishCourse, byID(courseGID(before.ID))))
			if got.Status != "PUBLISHED" || got.Version != before.Version || !sameInstant(got.PublishedAt, before.PublishedAt) {
				t.Fatalf("course: %+v, before version %d publishedAt %v", *got, before.Version, before.PublishedAt)
			}
			requireUnchanged(t, e, before)
			e.requireAudit(t, audit.CoursePublish, before.ID, 0, uuid.Nil, nil)
		})

		t.Run("CourseInstructorIsForbidden", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			// Amara co-teaches this course; Claire owns it.
			before := e.course(t, graphqlCourse)
			amara.refused(t, publishCourse, byID(courseGID(before.ID)), "FORBIDDEN")
			amara.refused(t, archiveCourse, byID(courseGID(before.ID)), "FORBIDDEN")
			requireUnchanged(t, e, before)
			e.requireAudit(t, audit.CourseArchive, before.ID, 0, uuid.Nil, nil)

			daniel := e.as(t, danielEmail)
			draft := e.publishable(t, amara, "co-taught-draft")
			requireOK(t, "addCourseMember", amara.call(t, addCourseMember, input(map[string]any{
				"courseId": draft, "userId": userGID(daniel.ID), "role": "INSTRUCTOR"})))
			daniel.refused(t, publishCourse, byID(draft), "FORBIDDEN")
			if row := e.courseByID(t, parseCourseID(t, draft)); row.Status != course.StatusDRAFT {
				t.Fatalf("a course instructor's publishCourse left the course %s", row.Status)
			}
		})

		t.Run("AssistantIsForbidden", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			before := e.course(t, backendCourse)
			e.as(t, priyaEmail).refused(t, archiveCourse, byID(courseGID(before.ID)), "FORBIDDEN")
			requireUnchanged(t, e, before)
		})

		t.Run("StrangerToADraftSeesNotFound", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			stranger := e.newCaller(t, "stranger", user.RoleINSTRUCTOR, true)
			draft := e.publishable(t, amara, "private-draft")
			before := e.courseByID(t, parseCourseID(t, draft))
			for _, o := range []op{publishCourse, archiveCourse} {
				hidden := stranger.call(t, o, byID(draft))
				requireUserError(t, hidden, "NOT_FOUND", "id")
				missing := stranger.call(t, o, byID(courseGID(uuid.New())))
				if string(hidden.Raw) != string(missing.Raw) {
					t.Fatalf("%s: someone else's draft answers\n  %s\nbut a missing course answers\n  %s", o.field, hidden.Raw, missing.Raw)
				}
			}
			requireUnchanged(t, e, before)
		})

		t.Run("AdministratorNeedsMFA", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			draft := e.publishable(t, amara, "admin-moderated")
			courseID := parseCourseID(t, draft)
			before := e.courseByID(t, courseID)

			// Without MFA an administrator cannot see someone else's draft;
			// once it is published, they see it and are refused.
			admin := e.as(t, adminEmail)
			requireUserError(t, admin.call(t, publishCourse, byID(draft)), "NOT_FOUND", "id")
			requireUnchanged(t, e, before)
			e.requireAudit(t, audit.CoursePublish, courseID, 0, uuid.Nil, nil)

			mfa := e.mfaAdmin(t)
			got := requireOK(t, "publishCourse by an MFA admin", mfa.call(t, publishCourse, byID(draft)))
			if got.Status != "PUBLISHED" || got.PublishedAt == nil {
				t.Fatalf("published course: %+v", *got)
			}
			e.requireAudit(t, audit.CoursePublish, courseID, 1, mfa.ID, nil)

			admin.refused(t, archiveCourse, byID(draft), "FORBIDDEN")
			archived := requireOK(t, "archiveCourse by an MFA admin", mfa.call(t, archiveCourse, byID(draft)))
			if archived.Status != "ARCHIVED" || !sameInstant(archived.PublishedAt, got.PublishedAt) {
				t.Fatalf("archived course: %+v", *archived)
			}
			e.requireAudit(t, audit.CourseArchive, courseID, 1, mfa.ID, nil)
		})
	})
}

func TestArchiveCourse(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("OwnerWithdrawsPublishedCourse", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara, anonymous := e.as(t, amaraEmail), e.anonymous()
			before := e.course(t, backendCourse)
			enrolled := e.enrollments(t, before.ID)
			if enrolled == 0 {
				t.Fatalf("demo data: nobody is enrolled in %s", backendCourse)
			}
			got := requireOK(t, "archiveCourse", amara.call(t, archiveCourse, byID(courseGID(before.ID))))
			if got.Status != "ARCHIVED" || got.Version != before.Version+1 || !sameInstant(got.PublishedAt, before.PublishedAt) {
				t.Fatalf("archived course: %+v", *got)
			}
			row := e.courseByID(t, before.ID)
			if row.Status != course.StatusARCHIVED || row.Version != before.Version+1 || !sameInstant(row.PublishedAt, before.PublishedAt) {
				t.Fatalf("stored course: %+v", row)
			}
			e.requireAudit(t, audit.CourseArchive, before.ID, 1, amara.ID, nil)
			if n := e.enrollments(t, before.ID); n != enrolled {
				t.Fatalf("%d enrolments after archiving, want %d", n, enrolled)
			}
			if slices.Contains(anonymous.catalogue(t), backendCourse) {
				t.Fatal("anonymous callers still see an archived course in the catalogue")
			}

			// Archiving again is harmless and not audited.
			requireOK(t, "archiveCourse again", amara.call(t, archiveCourse, byID(courseGID(before.ID))))
			if again := e.courseByID(t, before.ID); again.Version != before.Version+1 {
				t.Fatalf("archiving an archived course moved its version to %d", again.Version)
			}
			e.requireAudit(t, audit.CourseArchive, before.ID, 1, amara.ID, nil)
		})

		t.Run("LearnerIsForbidden", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			kenji := e.as(t, kenjiEmail)
			before := e.course(t, graphqlCourse)
			kenji.refused(t, archiveCourse, byID(courseGID(before.ID)), "FORBIDDEN")
			requireUnchanged(t, e, before)
		})
	})
}
