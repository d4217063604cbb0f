package graph_test

import (
	"encoding/json"
	"slices"
	"testing"

	"lectern/ent/course"
	"lectern/ent/faqentry"
	"lectern/ent/lesson"
	"lectern/ent/review"
	"lectern/ent/section"
	"lectern/internal/database"
	"lectern/internal/testenv"
)

// Lessons of the demo catalogue that the visibility rules are about.
const (
	draftLessonInPG   = "index-bloat-and-maintenance" // DRAFT lesson of a published course
	draftLessonInGQL  = "limiting-query-cost"         // DRAFT lesson of a published course
	enrolledLessonPG  = "reading-explain-analyze"     // PUBLISHED, ENROLLED access
	publicLessonPG    = "b-tree-indexes-explained"    // PUBLISHED, PUBLIC access
	publicLessonDraft = "commands-and-events"         // PUBLISHED lesson of the DRAFT course
	publicLessonArch  = "mapping-the-monolith"        // PUBLISHED lesson of the ARCHIVED course
)

// nodeIsNull asks for node(id:) and reports whether it answered null,
// failing on any error.
func nodeIsNull(t *testing.T, c *testenv.Client, id string) bool {
	t.Helper()
	var out struct{ Node json.RawMessage }
	c.Query(`query($id: ID!) { node(id: $id) { id __typename } }`, map[string]any{"id": id}).Decode(t, &out)
	return string(out.Node) == "null"
}

func TestAnonymousVisibility(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		testenv.Seeded(t, db)

		t.Run("CoursesListsOnlyPublished", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			for _, orderBy := range courseOrders {
				var out struct {
					Courses struct {
						TotalCount int
						Edges      []struct{ Node struct{ Slug, Status string } }
					}
				}
				c.Query(`query($o: [CourseOrder!]) { courses(first: 100, orderBy: $o) { totalCount edges { node { slug status } } } }`,
					map[string]any{"o": orderBy.orderBy}).Decode(t, &out)
				var slugs []string
				for _, e := range out.Courses.Edges {
					slugs = append(slugs, e.Node.Slug)
					if e.Node.Status != "PUBLISHED" {
						t.Errorf("%s: anonymous caller sees %s in status %s", orderBy.name, e.Node.Slug, e.Node.Status)
					}
				}
				if slices.Contains(slugs, draftCourse) || slices.Contains(slugs, archivedCourse) {
					t.Errorf("%s: anonymous listing shows a hidden course: %v", orderBy.name, slugs)
				}
				if len(slugs) != 4 || out.Courses.TotalCount != 4 {
					t.Errorf("%s: %d courses, totalCount %d; want the 4 published ones", orderBy.name, len(slugs), out.Courses.TotalCount)
				}
			}
		})

		t.Run("StatusFilterCannotRevealHiddenCourses", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			for _, status := range []string{"DRAFT", "ARCHIVED"} {
				got, total := slugsOf(t, c, map[string]any{"status": status})
				if len(got) != 0 || total != 0 {
					t.Errorf("where status %s: %v, totalCount %d; want nothing", status, got, total)
				}
			}
		})

		t.Run("CourseBySlugIsNullWhenHidden", func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				slug    string
				visible bool
			}{
				{draftCourse, false},
				{archivedCourse, false},
				{"no-such-course", false},
				{pgCourse, true},
			} {
				c := testenv.NewClient(t, db)
				r := c.Query(`query($s: String!) { course(slug: $s) { slug } }`, map[string]any{"s": tc.slug})
				var out struct{ Course *struct{ Slug string } }
				r.Decode(t, &out)
				if got := out.Course != nil; got != tc.visible {
					t.Errorf("course(slug: %q) visible = %v, want %v", tc.slug, got, tc.visible)
				}
			}
		})

		t.Run("NodeOfHiddenRowsIsNull", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			for _, slug := range []string{draftCourse, archivedCourse} {
				hidden, err := db.Ent.Course.Query().Where(course.Slug(slug)).Only(asSystem())
				if err != nil {
					t.Fatal(err)
				}
				ids := map[string]string{"course": hidden.GlobalID().String()}
				if s, err := db.Ent.Section.Query().Where(section.CourseID(hidden.ID)).First(asSystem()); err == nil {
					ids["section"] = s.GlobalID().String()
				}
				if l, err := db.Ent.Lesson.Query().Where(lesson.CourseID(hidden.ID), lesson.StatusEQ(lesson.StatusPUBLISHED)).First(asSystem()); err == nil {
					ids["published lesson"] = l.GlobalID().String()
				}
				if f, err := db.Ent.FAQEntry.Query().Where(faqentry.CourseID(hidden.ID)).First(asSystem()); err == nil {
					ids["faq entry"] = f.GlobalID().String()
				}
				if r, err := db.Ent.Review.Query().Where(review.CourseID(hidden.ID)).First(asSystem()); err == nil {
					ids["review"] = r.GlobalID().String()
				}
				if len(ids) < 4 {
					t.Fatalf("%s: dataset lacks rows to check: found %v", slug, ids)
				}
				for kind, id := range ids {
					if !nodeIsNull(t, c, id) {
						t.Errorf("node(id:) of the %s of %s course %s is visible to an anonymous caller", kind, hidden.Status, slug)
					}
				}
			}
			if nodeIsNull(t, c, courseGlobalID(t, db, pgCourse)) {
				t.Errorf("node(id:) of a published course is null")
			}
		})

		t.Run("DraftLessonsAreAbsent", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			for _, tc := range []struct{ course, draft string }{{pgCourse, draftLessonInPG}, {graphqlCourse, draftLessonInGQL}} {
				var out struct {
					Course struct {
						LessonCount int
						Sections    []struct {
							Lessons []struct{ Slug, Status string }
						}
					}
				}
				c.Query(`query($s: String!) { course(slug: $s) { lessonCount sections { lessons { slug status } } } }`,
					map[string]any{"s": tc.course}).Decode(t, &out)
				var slugs []string
				for _, s := range out.Course.Sections {
					for _, l := range s.Lessons {
						slugs = append(slugs, l.Slug)
						if l.Status != "PUBLISHED" {
							t.Errorf("%s: lesson %s in status %s is listed", tc.course, l.Slug, l.Status)
						}
					}
				}
				if slices.Contains(slugs, tc.draft) {
					t.Errorf("%s: draft lesson %s is listed: %v", tc.course, tc.draft, slugs)
				}
				if len(slugs) == 0 || len(slugs) != out.Course.LessonCount {
					t.Errorf("%s: %d lessons listed, lessonCount %d; want the same, non-zero", tc.course, len(slugs), out.Course.LessonCount)
				}

				var one struct{ Lesson json.RawMessage }
				c.Query(`query($c: String!, $l: String!) { lesson(courseSlug: $c, lessonSlug: $l) { slug body } }`,
					map[string]any{"c": tc.course, "l": tc.draft}).Decode(t, &one)
				if string(one.Lesson) != "null" {
					t.Errorf("lesson(%s, %s) = %s, want null", tc.course, tc.draft, one.Lesson)
				}
				if !nodeIsNull(t, c, lessonGlobalID(t, db, tc.course, tc.draft)) {
					t.Errorf("node(id:) of draft lesson %s is visible", tc.draft)
				}
			}
		})

		t.Run("LessonsOfHiddenCoursesAreNull", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			for _, tc := range []struct{ course, lesson string }{
				{draftCourse, publicLessonDraft},
				{archivedCourse, publicLessonArch},
				{pgCourse, "no-such-lesson"},
				{"no-such-course", publicLessonPG},
			} {
				var out struct{ Lesson json.RawMessage }
				c.Query(`query($c: String!, $l: String!) { lesson(courseSlug: $c, lessonSlug: $l) { slug body } }`,
					map[string]any{"c": tc.course, "l": tc.lesson}).Decode(t, &out)
				if string(out.Lesson) != "null" {
					t.Errorf("lesson(%s, %s) = %s, want null", tc.course, tc.lesson, out.Lesson)
				}
			}
		})

		t.Run("EnrolledLessonBodiesAreLocked", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			stored := func(slug string) string {
				l, err := db.Ent.Lesson.Query().Where(lesson.Slug(slug), lesson.HasCourseWith(course.Slug(pgCourse))).Only(asSystem())
				if err != nil {
					t.Fatal(err)
				}
				return l.Body
			}
			type lessonView struct {
				Slug         string
				Access       string
				Body         *string
				LockedReason *string
			}
			get := func(slug string) lessonView {
				var out struct{ Lesson lessonView }
				c.Query(`query($c: String!, $l: String!) { lesson(courseSlug: $c, lessonSlug: $l) { slug access body lockedReason } }`,
					map[string]any{"c": pgCourse, "l": slug}).Decode(t, &out)
				return out.Lesson
			}

			locked := get(enrolledLessonPG)
			if locked.Access != "ENROLLED" || locked.Body != nil || locked.LockedReason == nil || *locked.LockedReason != "ENROLLMENT_REQUIRED" {
				t.Errorf("ENROLLED lesson for an anonymous caller: %+v, want body null and lockedReason ENROLLMENT_REQUIRED", locked)
			}
			open := get(publicLessonPG)
			if open.Access != "PUBLIC" || open.Body == nil || *open.Body != stored(publicLessonPG) || open.LockedReason != nil {
				t.Errorf("PUBLIC lesson: access %s, lockedReason %v, body present %v; want its stored body and no lockedReason",
					open.Access, open.LockedReason, open.Body != nil)
			}

			// The same rule on every path to a lesson: the course page and
			// node(id:).
			var page struct {
				Course struct {
					Sections []struct{ Lessons []lessonView }
				}
			}
			c.Query(`{ course(slug: "postgresql-indexing-in-practice") { sections { lessons { slug access body lockedReason } } } }`, nil).Decode(t, &page)
			var enrolled, public int
			for _, s := range page.Course.Sections {
				for _, l := range s.Lessons {
					switch l.Access {
					case "ENROLLED":
						enrolled++
						if l.Body != nil || l.LockedReason == nil || *l.LockedReason != "ENROLLMENT_REQUIRED" {
							t.Errorf("course page: ENROLLED lesson %s shows its body or no lockedReason", l.Slug)
						}
					case "PUBLIC":
						public++
						if l.Body == nil || *l.Body == "" || l.LockedReason != nil {
							t.Errorf("course page: PUBLIC lesson %s has no body or a lockedReason", l.Slug)
						}
					}
				}
			}
			if enrolled == 0 || public == 0 {
				t.Errorf("course page shows %d ENROLLED and %d PUBLIC lessons; the dataset has both", enrolled, public)
			}
			// The page reads only the lesson columns it shows; the rule
			// still has the access it decides on when the page shows
			// neither it nor lockedReason.
			var bare struct {
				Course struct {
					Sections []struct{ Lessons []lessonView }
				}
			}
			c.Query(`{ course(slug: "postgresql-indexing-in-practice") { sections { lessons { slug body } } } }`, nil).Decode(t, &bare)
			for i, s := range bare.Course.Sections {
				for j, l := range s.Lessons {
					want := page.Course.Sections[i].Lessons[j]
					if l.Slug != want.Slug || (l.Body == nil) != (want.Body == nil) {
						t.Errorf("course page showing only slugs and bodies: lesson %s shows body %v; with access: body %v",
							l.Slug, l.Body != nil, want.Body != nil)
					}
				}
			}
			var bareLesson struct{ Lesson lessonView }
			c.Query(`query($c: String!, $l: String!) { lesson(courseSlug: $c, lessonSlug: $l) { body } }`,
				map[string]any{"c": pgCourse, "l": publicLessonPG}).Decode(t, &bareLesson)
			if bareLesson.Lesson.Body == nil || *bareLesson.Lesson.Body != stored(publicLessonPG) {
				t.Errorf("PUBLIC lesson asked for its body alone: body present %v; want its stored body", bareLesson.Lesson.Body != nil)
			}
			var viaNode struct {
				Node struct {
					Body         *string
					LockedReason *string
				}
			}
			c.Query(`query($id: ID!) { node(id: $id) { ... on Lesson { body lockedReason } } }`,
				map[string]any{"id": lessonGlobalID(t, db, pgCourse, enrolledLessonPG)}).Decode(t, &viaNode)
			if viaNode.Node.Body != nil || viaNode.Node.LockedReason == nil {
				t.Errorf("node(id:) of an ENROLLED lesson shows body %v, lockedReason %v", viaNode.Node.Body != nil, viaNode.Node.LockedReason)
			}
		})

		t.Run("EnrollmentsAndProgressArePrivate", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			enrollments, err := db.Ent.Enrollment.Query().All(asSystem())
			if err != nil {
				t.Fatal(err)
			}
			progress, err := db.Ent.LessonProgress.Query().Limit(10).All(asSystem())
			if err != nil {
				t.Fatal(err)
			}
			if len(enrollments) == 0 || len(progress) == 0 {
				t.Fatalf("dataset has %d enrolments and %d progress rows; want some", len(enrollments), len(progress))
			}
			var ids []string
			for _, e := range enrollments {
				ids = append(ids, e.GlobalID().String())
			}
			for _, p := range progress {
				ids = append(ids, p.GlobalID().String())
			}
			if !nodeIsNull(t, c, ids[0]) {
				t.Errorf("node(id:) of an enrolment is visible to an anonymous caller")
			}
			var out struct{ Nodes []json.RawMessage }
			c.Query(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids}).Decode(t, &out)
			if len(out.Nodes) != len(ids) {
				t.Fatalf("nodes returned %d entries for %d IDs", len(out.Nodes), len(ids))
			}
			for i, n := range out.Nodes {
				if string(n) != "null" {
					t.Errorf("nodes[%d] (an enrolment or progress row) = %s, want null", i, n)
				}
			}
		})
	})
}
