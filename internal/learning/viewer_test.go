package learning_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"lectern/ent/course"
	"lectern/internal/database"
	"lectern/internal/testenv"
)

const viewerCoursesDoc = `query($n: Int!) { courses(first: $n) { edges { node { id viewerEnrollment { id status } } } } }`

type coursePage struct {
	Courses struct {
		Edges []struct {
			Node struct {
				ID               string
				ViewerEnrollment *struct{ ID, Status string }
			}
		}
	}
}

// TestViewerEnrollmentBatching: viewerEnrollment on a catalogue page is
// loaded for the whole page at once, so a page of six costs no more
// statements than a page of two.
func TestViewerEnrollmentBatching(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		// The demo catalogue shows a learner four courses; add newer ones
		// so both pages are full and the first holds enrolments too.
		for i := range 4 {
			err := e.db.Ent.Course.Create().SetSlug(fmt.Sprintf("extra-course-%d", i)).SetTitle(fmt.Sprintf("Extra %d", i)).
				SetStatus(course.StatusPUBLISHED).SetPublishedAt(testenv.Now.Add(-time.Duration(i) * time.Hour)).Exec(sys())
			if err != nil {
				t.Fatal(err)
			}
		}
		ana := e.learner(t, "ana")
		for _, slug := range []string{"extra-course-0", "extra-course-3", sqlCourse} {
			requireOK(t, "enroll", ana.enroll(t, e.courseGID(t, slug)).UserErrors)
		}
		requireOK(t, "unenroll", ana.unenroll(t, e.courseGID(t, "extra-course-3")).UserErrors)
		// Someone else's enrolment in a course on the page must not show.
		bo := e.learner(t, "bo")
		requireOK(t, "enroll", bo.enroll(t, e.courseGID(t, "extra-course-1")).UserErrors)

		// One request first, so anything done once per session (such as
		// recording its use) is out of the way of the counted ones.
		ana.Query(t, viewerCoursesDoc, map[string]any{"n": 1})

		counts, statements := map[int]int{}, map[int]string{}
		for _, n := range []int{2, 6} {
			r := ana.Query(t, viewerCoursesDoc, map[string]any{"n": n})
			var page coursePage
			r.Decode(t, &page)
			if len(page.Courses.Edges) != n {
				t.Fatalf("first: %d returned %d courses", n, len(page.Courses.Edges))
			}
			enrolled := 0
			for _, edge := range page.Courses.Edges {
				want := storedStatus(t, e, ana, edge.Node.ID)
				got := edge.Node.ViewerEnrollment
				if (got == nil) != (want == "") || (got != nil && got.Status != want) {
					t.Fatalf("course %s: viewerEnrollment = %+v, stored status %q", edge.Node.ID, got, want)
				}
				if got != nil {
					enrolled++
				}
			}
			if enrolled == 0 {
				t.Fatalf("first: %d shows no enrolment; the page does not exercise the loader", n)
			}
			if r.Extensions.Debug.SQLQueryCount == 0 {
				t.Fatal("no extensions.debug.sqlQueryCount in the response")
			}
			counts[n] = r.Extensions.Debug.SQLQueryCount
			statements[n] = strings.Join(r.Extensions.Debug.SQLQueries, "\n")
		}
		if counts[2] != counts[6] {
			t.Fatalf("statements: %d for first: 2, %d for first: 6; viewerEnrollment is not batched\nfirst: 2:\n%s\nfirst: 6:\n%s",
				counts[2], counts[6], statements[2], statements[6])
		}
	})
}

// TestEnrolledCoursesStaffIsOneLookup: courses reached through a list of
// enrolments (not a course page) still fetch their staff in one query for
// the whole list, however many enrolments there are.
func TestEnrolledCoursesStaffIsOneLookup(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		const doc = `{ viewer { enrollments { course { slug owner { displayName } instructors { displayName } } } } }`
		ana := e.learner(t, "ana")
		ana.Query(t, doc, nil) // once per session work out of the way
		slugs := []string{sqlCourse, indexingCourse}
		for i, slug := range slugs {
			requireOK(t, "enroll", ana.enroll(t, e.courseGID(t, slug)).UserErrors)
			r := ana.Query(t, doc, nil)
			var out struct {
				Viewer struct {
					Enrollments []struct {
						Course struct{ Owner *struct{ DisplayName string } }
					}
				}
			}
			r.Decode(t, &out)
			if len(out.Viewer.Enrollments) != i+1 {
				t.Fatalf("%d enrolments listed, want %d", len(out.Viewer.Enrollments), i+1)
			}
			for _, en := range out.Viewer.Enrollments {
				if en.Course.Owner == nil || en.Course.Owner.DisplayName == "" {
					t.Fatalf("an enrolled course lacks its owner: %+v", out)
				}
			}
			staff := 0
			for _, q := range r.Extensions.Debug.SQLQueries {
				// The staff lookup reads memberships' roles; the row rules'
				// subqueries over course_members read only course IDs.
				if strings.Contains(q, "course_members") && strings.Contains(q, "role") {
					staff++
				}
			}
			if staff != 1 {
				t.Errorf("%d enrolments: %d staff statements, want 1:\n%s", i+1, staff, strings.Join(r.Extensions.Debug.SQLQueries, "\n"))
			}
		}
	})
}

// TestCoursePageReadsTheEnrolmentWithTheCourse: a signed-in caller's
// course page with lesson bodies or viewerEnrollment reads their enrolment
// in the course's own statement on PostgreSQL (no lookup of its own), and
// never their course roles when they are enrolled (only a caller who is
// not needs those). What the page shows is the same as through a lookup:
// bodies for an active enrolment, locks for none or a cancelled one, and
// an enrolment whose own edges still load.
func TestCoursePageReadsTheEnrolmentWithTheCourse(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		const doc = `query($slug: String!) { course(slug: $slug) {
			viewerEnrollment { status course { slug } }
			sections { lessons { body lockedReason } } } }`
		type page struct {
			Course struct {
				ViewerEnrollment *struct {
					Status string
					Course struct{ Slug string }
				}
				Sections []struct {
					Lessons []struct {
						Body         *string
						LockedReason *string
					}
				}
			}
		}
		// read returns the page, how many lessons are locked, and the
		// statements of each kind.
		read := func(t *testing.T, c *caller) (page, int, map[string]int) {
			t.Helper()
			r := c.Query(t, doc, map[string]any{"slug": sqlCourse})
			var out page
			r.Decode(t, &out)
			locked, lessons := 0, 0
			for _, s := range out.Course.Sections {
				for _, l := range s.Lessons {
					lessons++
					if (l.Body == nil) == (l.LockedReason == nil) {
						t.Fatalf("a lesson shows both or neither of body and lockedReason: %+v", l)
					}
					if l.Body == nil {
						locked++
					}
				}
			}
			if lessons == 0 {
				t.Fatal("the course page shows no lesson")
			}
			counts := map[string]int{}
			for _, q := range r.Extensions.Debug.SQLQueries {
				for _, table := range []string{"enrollments", "course_members"} {
					if strings.HasPrefix(q, "SELECT \""+table+"\".") || strings.HasPrefix(q, "SELECT `"+table+"`.") {
						counts[table]++
					}
				}
				if strings.Contains(q, "viewer_e") {
					counts["joined"]++
				}
			}
			return out, locked, counts
		}

		// On PostgreSQL the enrolment comes with the course; on SQLite,
		// where a statement is no round trip, it is looked up on its own.
		joined, lookups := 1, 0
		if dialect != database.Postgres {
			joined, lookups = 0, 1
		}
		ana := e.learner(t, "ana")
		requireOK(t, "enroll", ana.enroll(t, e.courseGID(t, sqlCourse)).UserErrors)
		out, locked, counts := read(t, ana)
		if en := out.Course.ViewerEnrollment; en == nil || en.Status != "ACTIVE" || en.Course.Slug != sqlCourse {
			t.Errorf("viewerEnrollment = %+v, want ACTIVE in %s", en, sqlCourse)
		}
		if locked != 0 {
			t.Errorf("an enrolled learner was refused %d bodies", locked)
		}
		if counts["joined"] != joined || counts["enrollments"] != lookups || counts["course_members"] != 0 {
			t.Errorf("statements %v: want %d joined enrolment, %d enrolment lookups, no role lookup", counts, joined, lookups)
		}

		// Not enrolled: no enrolment, the members-only lessons locked.
		bo := e.learner(t, "bo")
		out, lockedBo, counts := read(t, bo)
		if out.Course.ViewerEnrollment != nil || lockedBo == 0 {
			t.Errorf("a learner who is not enrolled: viewerEnrollment %+v, %d lessons locked (want none and some)",
				out.Course.ViewerEnrollment, lockedBo)
		}
		if counts["joined"] != joined || counts["enrollments"] != lookups {
			t.Errorf("statements %v: want %d joined enrolment, %d enrolment lookups", counts, joined, lookups)
		}

		// Cancelled: shown as such, and the lessons locked again.
		requireOK(t, "unenroll", ana.unenroll(t, e.courseGID(t, sqlCourse)).UserErrors)
		out, locked, _ = read(t, ana)
		if en := out.Course.ViewerEnrollment; en == nil || en.Status != "CANCELLED" || locked != lockedBo {
			t.Errorf("after unenrolling: viewerEnrollment %+v and %d lessons locked, want CANCELLED and %d", en, locked, lockedBo)
		}

		// Anonymous callers join nothing.
		r := e.anonymous().Query(t, doc, map[string]any{"slug": sqlCourse})
		r.Decode(t, &page{})
		for _, q := range r.Extensions.Debug.SQLQueries {
			if strings.Contains(q, "viewer_e") || strings.Contains(q, "enrollments") {
				t.Errorf("an anonymous course page read enrolments:\n%s", q)
			}
		}
	})
}

// storedStatus is the caller's stored enrolment status in a course, or "".
func storedStatus(t *testing.T, e *env, c *caller, courseID string) string {
	t.Helper()
	cid := parseID(t, courseID, "Course")
	got, err := e.db.Ent.Course.Get(sys(), cid)
	if err != nil {
		t.Fatal(err)
	}
	if row := e.enrollment(t, c.ID, got.Slug); row != nil {
		return string(row.Status)
	}
	return ""
}

func TestViewerEnrollments(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		const doc = `{ viewer { enrollments { id status completedLessonCount progress course { slug } } } }`
		type listed struct {
			ID                   string
			Status               string
			CompletedLessonCount int
			Progress             float64
			Course               struct{ Slug string }
		}
		list := func(t *testing.T, c *caller) []listed {
			t.Helper()
			var out struct {
				Viewer struct{ Enrollments []listed }
			}
			c.Query(t, doc, nil).Decode(t, &out)
			return out.Viewer.Enrollments
		}

		t.Run("LeavesOutArchivedCourses", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			// Priya's demo enrolments: the indexing course and the archived
			// migration course, which she can no longer see.
			got := list(t, e.seeded(t, priyaEmail))
			if len(got) != 1 || got[0].Course.Slug != indexingCourse || got[0].Status != "COMPLETED" || !near(got[0].Progress, 1) {
				t.Fatalf("priya's enrollments = %+v, want only the completed indexing course", got)
			}
		})

		t.Run("AnonymousHasNoViewer", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			var out struct{ Viewer *struct{} }
			e.anonymous().Query(t, doc, nil).Decode(t, &out)
			if out.Viewer != nil {
				t.Fatalf("viewer = %+v for an anonymous caller, want null", out.Viewer)
			}
		})

		// The two cases below read the enrolments this makes, and nothing
		// else changes them: they share them.
		e := setup(t, dialect)
		ana, bo := e.learner(t, "ana"), e.learner(t, "bo")
		for _, slug := range []string{sqlCourse, graphqlCourse, indexingCourse} {
			requireOK(t, "enroll", ana.enroll(t, e.courseGID(t, slug)).UserErrors)
		}
		requireOK(t, "unenroll", ana.unenroll(t, e.courseGID(t, graphqlCourse)).UserErrors)
		published, _ := e.lessons(t, indexingCourse)
		requireOK(t, "completeLesson", ana.complete(t, published[0]).UserErrors)
		requireOK(t, "enroll", bo.enroll(t, e.courseGID(t, sqlCourse)).UserErrors)

		t.Run("NewestFirstWithProgress", func(t *testing.T) {
			got := list(t, ana)
			want := []struct {
				slug, status string
				done         int
				progress     float64
			}{
				{indexingCourse, "ACTIVE", 1, 1 / float64(len(published))},
				{graphqlCourse, "CANCELLED", 0, 0},
				{sqlCourse, "ACTIVE", 0, 0},
			}
			if len(got) != len(want) {
				t.Fatalf("enrollments = %+v, want %d", got, len(want))
			}
			for i, w := range want {
				g := got[i]
				if g.Course.Slug != w.slug || g.Status != w.status || g.CompletedLessonCount != w.done || !near(g.Progress, w.progress) {
					t.Errorf("enrollments[%d] = %+v, want %s %s with %d done (%v)", i, g, w.slug, w.status, w.done, w.progress)
				}
				if row := e.enrollment(t, ana.ID, w.slug); row == nil || row.GlobalID().String() != g.ID {
					t.Errorf("enrollments[%d].id = %s, not ana's stored enrolment in %s", i, g.ID, w.slug)
				}
			}
		})

		t.Run("OnlyTheCallersOwn", func(t *testing.T) {
			anas := list(t, ana)
			bos := list(t, bo)
			if len(bos) != 1 || bos[0].Course.Slug != sqlCourse {
				t.Fatalf("bo's enrollments = %+v, want only the SQL course", bos)
			}
			if row := e.enrollment(t, bo.ID, sqlCourse); bos[0].ID != row.GlobalID().String() {
				t.Fatalf("bo's listed enrolment %s is not bo's stored one %s", bos[0].ID, row.GlobalID())
			}
			if slices.ContainsFunc(anas, func(l listed) bool { return l.ID == bos[0].ID }) {
				t.Fatalf("bo's enrolment %s appears in ana's list", bos[0].ID)
			}
		})
	})
}
