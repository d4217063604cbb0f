package learning_test

import (
	"testing"
	"unicode/utf8"

	"lectern/ent"
	"lectern/ent/auditevent"
	"lectern/ent/review"
	"lectern/ent/user"
	"lectern/internal/audit"
	"lectern/internal/testenv"
)

func TestReviews(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("ValidatesRatingAndBody", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			courseID := e.courseGID(t, sqlCourse)
			ana := e.enrolled(t, "ana")
			for _, rating := range []int{0, 6, -1} {
				p := ana.createReview(t, courseID, rating, "fine")
				if p.Review != nil {
					t.Fatalf("rating %d accepted: %+v", rating, p.Review)
				}
				requireUserError(t, p.UserErrors, "INVALID", "input", "rating")
			}
			p := ana.createReview(t, courseID, 4, longText(5001))
			requireUserError(t, p.UserErrors, "TOO_LONG", "input", "body")
			if n := len(e.reviews(t, ana.ID, sqlCourse)); n != 0 {
				t.Fatalf("%d reviews stored after invalid input, want none", n)
			}

			// The limit is in characters: 5,000 two-byte ones fit.
			ok := ana.createReview(t, courseID, 1, longText(5000))
			requireOK(t, "createReview at the limit", ok.UserErrors)
			if n := utf8.RuneCountInString(ok.Review.Body); n != 5000 {
				t.Fatalf("stored body has %d characters, want 5000", n)
			}
		})

		t.Run("CreatesOnePerLearnerAndMovesRatings", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			courseID := e.courseGID(t, sqlCourse)
			bo := e.enrolled(t, "bo")
			before := e.course(t, sqlCourse)
			p := bo.createReview(t, courseID, 4, "  Clear and practical.  ")
			requireOK(t, "createReview", p.UserErrors)
			if p.Review == nil || p.Review.Rating != 4 || p.Review.Body != "Clear and practical." || p.Review.Author.ID != idOf("User", bo.ID) || p.Review.Course.ID != courseID {
				t.Fatalf("createReview = %+v", p.Review)
			}
			stored := e.reviews(t, bo.ID, sqlCourse)
			if len(stored) != 1 || stored[0].GlobalID().String() != p.Review.ID || stored[0].Rating != 4 {
				t.Fatalf("stored reviews = %+v, want one rated 4 with ID %s", stored, p.Review.ID)
			}
			e.requireRatings(t, sqlCourse, before.RatingCount+1, before.RatingSum+4)

			second := bo.createReview(t, courseID, 2, "")
			if second.Review != nil {
				t.Fatalf("second review accepted: %+v", second.Review)
			}
			requireUserError(t, second.UserErrors, "ALREADY_REVIEWED", "input", "courseId")
			if n := len(e.reviews(t, bo.ID, sqlCourse)); n != 1 {
				t.Fatalf("%d reviews stored, want 1", n)
			}
			e.requireRatings(t, sqlCourse, before.RatingCount+1, before.RatingSum+4)
		})

		t.Run("RequiresActiveEnrolment", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			courseID := e.courseGID(t, sqlCourse)
			cy := e.learner(t, "cy")
			p := cy.createReview(t, courseID, 5, "")
			requireUserError(t, p.UserErrors, "NOT_ENROLLED", "input", "courseId")
			requireOK(t, "enroll", cy.enroll(t, courseID).UserErrors)
			requireOK(t, "unenroll", cy.unenroll(t, courseID).UserErrors)
			p = cy.createReview(t, courseID, 5, "")
			requireUserError(t, p.UserErrors, "NOT_ENROLLED", "input", "courseId")
			if n := len(e.reviews(t, cy.ID, sqlCourse)); n != 0 {
				t.Fatalf("%d reviews stored, want none", n)
			}
		})

		t.Run("RejectsStaffOfTheCourse", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			priya := e.seeded(t, priyaEmail)
			before := e.course(t, backendCourse)
			p := priya.createReview(t, e.courseGID(t, backendCourse), 5, "")
			requireUserError(t, p.UserErrors, "OWN_COURSE", "input", "courseId")
			if n := len(e.reviews(t, priya.ID, backendCourse)); n != 0 {
				t.Fatalf("%d reviews stored, want none", n)
			}
			e.requireRatings(t, backendCourse, before.RatingCount, before.RatingSum)
		})

		t.Run("HidesDraftCourses", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			di := e.learner(t, "di")
			p := di.createReview(t, e.courseGID(t, draftCourse), 5, "")
			requireUserError(t, p.UserErrors, "NOT_FOUND", "input", "courseId")
		})

		t.Run("UpdateIsTheAuthorsAlone", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			courseID := e.courseGID(t, sqlCourse)
			author, other := e.enrolled(t, "author"), e.enrolled(t, "other")
			before := e.course(t, sqlCourse)
			created := author.createReview(t, courseID, 5, "Great.")
			requireOK(t, "createReview", created.UserErrors)
			e.requireRatings(t, sqlCourse, before.RatingCount+1, before.RatingSum+5)

			updated := author.updateReview(t, created.Review.ID, 2, "On reflection, too fast.")
			requireOK(t, "updateReview", updated.UserErrors)
			if updated.Review == nil || updated.Review.ID != created.Review.ID || updated.Review.Rating != 2 || updated.Review.Body != "On reflection, too fast." {
				t.Fatalf("updateReview = %+v", updated.Review)
			}
			e.requireRatings(t, sqlCourse, before.RatingCount+1, before.RatingSum+2)

			bad := author.updateReview(t, created.Review.ID, 6, "")
			requireUserError(t, bad.UserErrors, "INVALID", "input", "rating")

			theirs := other.updateReview(t, created.Review.ID, 1, "hijacked")
			if theirs.Review != nil {
				t.Fatalf("another learner updated the review: %+v", theirs.Review)
			}
			requireUserError(t, theirs.UserErrors, "NOT_FOUND", "input", "id")
			stored := e.reviews(t, author.ID, sqlCourse)
			if len(stored) != 1 || stored[0].Rating != 2 || stored[0].Body != "On reflection, too fast." {
				t.Fatalf("stored review = %+v, want the author's rating 2", stored)
			}
			e.requireRatings(t, sqlCourse, before.RatingCount+1, before.RatingSum+2)
		})

		t.Run("DeleteByAuthorOrAdmin", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			courseID := e.courseGID(t, sqlCourse)
			author, other := e.enrolled(t, "writer"), e.enrolled(t, "reader")
			before := e.course(t, sqlCourse)
			created := author.createReview(t, courseID, 3, "")
			requireOK(t, "createReview", created.UserErrors)
			id := created.Review.ID

			// Another learner can see the review (its course is published),
			// so review.go documents FORBIDDEN rather than NOT_FOUND.
			requireErrorCode(t, other.Query(t, deleteReviewDoc, map[string]any{"id": id}), "FORBIDDEN")
			requireErrorCode(t, e.anonymous().Query(t, deleteReviewDoc, map[string]any{"id": id}), "UNAUTHENTICATED")
			if n := len(e.reviews(t, author.ID, sqlCourse)); n != 1 {
				t.Fatalf("%d reviews stored after refused deletes, want 1", n)
			}
			e.requireRatings(t, sqlCourse, before.RatingCount+1, before.RatingSum+3)

			gone := author.deleteReview(t, id)
			requireOK(t, "deleteReview", gone.UserErrors)
			if gone.ReviewID == nil || *gone.ReviewID != id {
				t.Fatalf("deleteReview reviewId = %v, want %s", gone.ReviewID, id)
			}
			if n := len(e.reviews(t, author.ID, sqlCourse)); n != 0 {
				t.Fatalf("%d reviews stored after delete, want none", n)
			}
			e.requireRatings(t, sqlCourse, before.RatingCount, before.RatingSum)
			requireModerations(t, e, parseID(t, id, "Review").String(), 0)

			twice := author.deleteReview(t, id)
			requireUserError(t, twice.UserErrors, "NOT_FOUND", "id")

			// The author may review again once their review is gone.
			requireOK(t, "createReview after delete", author.createReview(t, courseID, 4, "").UserErrors)
		})

		t.Run("HidesReviewsOfHiddenCourses", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			// Priya's demo review of the archived course: no learner can
			// see it, so to them it does not exist.
			priya, err := e.db.Ent.User.Query().Where(user.Email(priyaEmail)).Only(sys())
			if err != nil {
				t.Fatal(err)
			}
			hidden := e.reviews(t, priya.ID, archivedCourse)
			if len(hidden) != 1 {
				t.Fatalf("demo data: %d reviews by priya of %s, want 1", len(hidden), archivedCourse)
			}
			id := hidden[0].GlobalID().String()
			other := e.learner(t, "outsider")
			requireUserError(t, other.deleteReview(t, id).UserErrors, "NOT_FOUND", "id")
			requireUserError(t, other.updateReview(t, id, 1, "").UserErrors, "NOT_FOUND", "input", "id")
			if n := len(e.reviews(t, priya.ID, archivedCourse)); n != 1 {
				t.Fatalf("%d reviews stored, want the hidden one still there", n)
			}
		})

		t.Run("AdminDeletesAnyReviewAsAuditedModeration", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			admin := e.seeded(t, adminEmail)
			omar, err := e.db.Ent.User.Query().Where(user.Email(omarEmail)).Only(sys())
			if err != nil {
				t.Fatal(err)
			}
			seededReview := e.reviews(t, omar.ID, sqlCourse)
			if len(seededReview) != 1 {
				t.Fatalf("demo data: %d reviews by %s of %s, want 1", len(seededReview), omarEmail, sqlCourse)
			}
			r := seededReview[0]
			before := e.course(t, sqlCourse)

			// Without a second factor, moderation is refused and nothing
			// changes.
			refused := admin.Query(t, deleteReviewDoc, map[string]any{"id": r.GlobalID().String()})
			if len(refused.Errors) != 1 || refused.Errors[0].Extensions.Code != "FORBIDDEN" {
				t.Fatalf("deleteReview by an admin without MFA: %+v, want FORBIDDEN", refused.Errors)
			}
			if n, err := e.db.Ent.Review.Query().Where(review.ID(r.ID)).Count(sys()); err != nil || n != 1 {
				t.Fatalf("a refused moderation deleted the review (%d, %v)", n, err)
			}
			admin = e.seededWithMFA(t, adminEmail)
			p := admin.deleteReview(t, r.GlobalID().String())
			requireOK(t, "deleteReview as admin", p.UserErrors)
			if p.ReviewID == nil || *p.ReviewID != r.GlobalID().String() {
				t.Fatalf("reviewId = %v, want %s", p.ReviewID, r.GlobalID())
			}
			if n, err := e.db.Ent.Review.Query().Where(review.ID(r.ID)).Count(sys()); err != nil || n != 0 {
				t.Fatalf("review still stored (%d, %v)", n, err)
			}
			e.requireRatings(t, sqlCourse, before.RatingCount-1, before.RatingSum-r.Rating)

			events := requireModerations(t, e, r.ID.String(), 1)
			if ev := events[0]; ev.ActorID == nil || *ev.ActorID != admin.ID || ev.TargetType != "Review" {
				t.Fatalf("audit event = actor %v, target %s %s; want actor %s, target Review %s", ev.ActorID, ev.TargetType, ev.TargetID, admin.ID, r.ID)
			}
		})
	})
}

// requireModerations fails unless exactly n review.moderate events name
// the review, and returns them.
func requireModerations(t testing.TB, e *env, reviewID string, n int) []*ent.AuditEvent {
	t.Helper()
	rows, err := e.db.Ent.AuditEvent.Query().
		Where(auditevent.Action(audit.ReviewModerate), auditevent.TargetID(reviewID)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("%d %s audit events for review %s, want %d", len(rows), audit.ReviewModerate, reviewID, n)
	}
	return rows
}

// enrolled returns a new learner enrolled in the SQL course.
func (e *env) enrolled(t testing.TB, name string) *caller {
	t.Helper()
	c := e.learner(t, name)
	requireOK(t, "enroll", c.enroll(t, e.courseGID(t, sqlCourse)).UserErrors)
	return c
}
