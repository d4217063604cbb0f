package authoring_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"lectern/ent/coursemember"
	"lectern/ent/user"
	"lectern/internal/testenv"
)

func TestCreateCourse(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("VerifiedInstructorGetsOwnedDraft", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			p := amara.call(t, createCourse, input(map[string]any{
				"title":        "  Distributed Tracing  ",
				"slug":         "distributed-tracing",
				"summary":      "  Follow one request through many services.  ",
				"description":  "\n## Why\n\nBecause logs are not enough.\n",
				"level":        "INTERMEDIATE",
				"language":     "pt-br",
				"requirements": []string{"  Some Go  ", "HTTP basics"},
				"takeaways":    []string{" Read a trace "},
			}))
			got := requireOK(t, "createCourse", p)
			want := courseOut{Slug: "distributed-tracing", Title: "Distributed Tracing",
				Summary: "Follow one request through many services.", Description: "## Why\n\nBecause logs are not enough.",
				Level: "INTERMEDIATE", Language: "pt-BR", Status: "DRAFT", Version: 1,
				Requirements: []string{"Some Go", "HTTP basics"}, Takeaways: []string{"Read a trace"}}
			if got.Slug != want.Slug || got.Title != want.Title || got.Summary != want.Summary ||
				got.Description != want.Description || got.Level != want.Level || got.Language != want.Language ||
				got.Status != want.Status || got.Version != want.Version || got.PublishedAt != nil ||
				!slices.Equal(got.Requirements, want.Requirements) || !slices.Equal(got.Takeaways, want.Takeaways) {
				t.Fatalf("created course:\n got %+v\nwant %+v", *got, want)
			}

			row := e.courseByID(t, parseCourseID(t, got.ID))
			if row.Title != want.Title || row.Summary != want.Summary || row.Description != want.Description ||
				row.Language != "pt-BR" || string(row.Status) != "DRAFT" || row.Version != 1 || row.PublishedAt != nil ||
				!slices.Equal(row.Requirements, want.Requirements) || !slices.Equal(row.Takeaways, want.Takeaways) {
				t.Fatalf("stored course: %+v", row)
			}
			staff := e.staff(t, row.ID)
			if len(staff) != 1 || staff[amara.ID] != coursemember.RoleOWNER {
				t.Fatalf("staff = %v, want only the caller as OWNER", staff)
			}
			if !amara.sees(t, "distributed-tracing") || e.anonymous().sees(t, "distributed-tracing") {
				t.Fatal("a new draft must be visible to its owner and hidden from anonymous callers")
			}
		})

		t.Run("OptionalFieldsTakeDefaults", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			got := requireOK(t, "createCourse", amara.call(t, createCourse, input(map[string]any{
				"title": "Bare", "slug": "bare-course"})))
			if got.Language != "en" || got.Level != "BEGINNER" || got.Summary != "" ||
				len(got.Requirements) != 0 || len(got.Takeaways) != 0 || got.Status != "DRAFT" || got.Version != 1 {
				t.Fatalf("course with defaults: %+v", *got)
			}
		})

		t.Run("InvalidInputStoresNothing", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			tests := []struct {
				name  string
				set   map[string]any
				code  string
				field []string
			}{
				{"UppercaseSlug", map[string]any{"slug": "Go-Basics"}, "INVALID", []string{"input", "slug"}},
				{"SpacedSlug", map[string]any{"slug": "go basics"}, "INVALID", []string{"input", "slug"}},
				{"DoubleHyphenSlug", map[string]any{"slug": "go--basics"}, "INVALID", []string{"input", "slug"}},
				{"LongSlug", map[string]any{"slug": strings.Repeat("a", 81)}, "INVALID", []string{"input", "slug"}},
				{"EmptyTitle", map[string]any{"title": ""}, "REQUIRED", []string{"input", "title"}},
				{"BlankTitle", map[string]any{"title": "   "}, "REQUIRED", []string{"input", "title"}},
				{"LongTitle", map[string]any{"title": strings.Repeat("t", 201)}, "TOO_LONG", []string{"input", "title"}},
				{"LongSummary", map[string]any{"summary": strings.Repeat("é", 501)}, "TOO_LONG", []string{"input", "summary"}},
				{"TwentyOneRequirements", map[string]any{"requirements": items(21)}, "INVALID", []string{"input", "requirements"}},
				{"BlankRequirement", map[string]any{"requirements": []string{"Go", "  "}}, "INVALID", []string{"input", "requirements", "1"}},
				{"TwentyOneTakeaways", map[string]any{"takeaways": items(21)}, "INVALID", []string{"input", "takeaways"}},
				{"MalformedLanguage", map[string]any{"language": "english"}, "INVALID", []string{"input", "language"}},
				{"UnknownLanguage", map[string]any{"language": "zz"}, "INVALID", []string{"input", "language"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					slug := "invalid-" + strings.ToLower(tt.name)
					in := map[string]any{"title": "Valid title", "slug": slug}
					for k, v := range tt.set {
						in[k] = v
					}
					before := e.courseCount(t)
					requireUserError(t, amara.call(t, createCourse, input(in)), tt.code, tt.field...)
					if n := e.courseCount(t); n != before || e.slugExists(t, slug) {
						t.Fatalf("courses: %d, want %d and none with slug %s", n, before, slug)
					}
				})
			}
		})

		t.Run("ReportsEveryProblem", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			p := amara.call(t, createCourse, input(map[string]any{"title": " ", "slug": "Bad Slug",
				"summary": strings.Repeat("s", 501), "language": "english"}))
			var got [][]string
			for _, ue := range p.UserErrors {
				got = append(got, append([]string{ue.Code}, ue.Field...))
			}
			want := [][]string{{"REQUIRED", "input", "title"}, {"INVALID", "input", "slug"},
				{"TOO_LONG", "input", "summary"}, {"INVALID", "input", "language"}}
			if p.Course != nil || !slices.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("user errors = %v, want %v", got, want)
			}
		})

		t.Run("TakenSlug", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			before := e.courseCount(t)
			existing := e.course(t, backendCourse)
			p := amara.call(t, createCourse, input(map[string]any{"title": "Another", "slug": backendCourse}))
			requireUserError(t, p, "SLUG_TAKEN", "input", "slug")
			if n := e.courseCount(t); n != before {
				t.Fatalf("courses: %d, want %d", n, before)
			}
			if after := e.course(t, backendCourse); after.Title != existing.Title || after.Version != existing.Version {
				t.Fatalf("the course holding the slug changed: %+v", after)
			}
		})

		t.Run("LearnerIsForbidden", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			before := e.courseCount(t)
			e.as(t, priyaEmail).refused(t, createCourse, input(map[string]any{"title": "Mine", "slug": "learner-course"}), "FORBIDDEN")
			if e.courseCount(t) != before || e.slugExists(t, "learner-course") {
				t.Fatal("a refused createCourse stored a course")
			}
		})

		t.Run("AnonymousMustSignIn", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			e.anonymous().refused(t, createCourse, input(map[string]any{"title": "Nobody's", "slug": "anon-course"}), "UNAUTHENTICATED")
			if e.slugExists(t, "anon-course") {
				t.Fatal("a refused createCourse stored a course")
			}
		})

		t.Run("UnverifiedInstructor", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			c := e.newCaller(t, "unverified-instructor", user.RoleINSTRUCTOR, false)
			before := e.courseCount(t)
			p := c.call(t, createCourse, input(map[string]any{"title": "Too Early", "slug": "too-early"}))
			requireUserError(t, p, "EMAIL_NOT_VERIFIED")
			if e.courseCount(t) != before || e.slugExists(t, "too-early") {
				t.Fatal("an unverified instructor stored a course")
			}
		})
	})
}

// items returns n distinct list entries.
func items(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strings.Repeat("x", i+1)
	}
	return out
}

func TestUpdateCourse(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("OwnerMay", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			before := e.course(t, backendCourse)
			p := amara.call(t, updateCourse, input(map[string]any{"id": courseGID(before.ID),
				"expectedVersion": before.Version, "title": "  Back-End Basics  ", "language": "en-gb"}))
			got := requireOK(t, "updateCourse", p)
			if got.Title != "Back-End Basics" || got.Language != "en-GB" || got.Version != before.Version+1 {
				t.Fatalf("updated course: %+v", *got)
			}
			after := e.courseByID(t, before.ID)
			if after.Title != "Back-End Basics" || after.Language != "en-GB" || after.Version != before.Version+1 {
				t.Fatalf("stored course: %+v", after)
			}
			// Fields left out keep their value.
			if after.Summary != before.Summary || after.Description != before.Description || after.Level != before.Level ||
				!slices.Equal(after.Requirements, before.Requirements) || after.Slug != before.Slug || after.Status != before.Status {
				t.Fatalf("fields left out changed: before %+v, after %+v", before, after)
			}
		})

		t.Run("CourseInstructorMay", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			before := e.course(t, graphqlCourse)
			p := amara.call(t, updateCourse, input(map[string]any{"id": courseGID(before.ID),
				"expectedVersion": before.Version, "requirements": []string{" One ", "Two"}, "takeaways": []string{}}))
			got := requireOK(t, "updateCourse", p)
			if !slices.Equal(got.Requirements, []string{"One", "Two"}) || len(got.Takeaways) != 0 || got.Version != before.Version+1 {
				t.Fatalf("updated course: %+v", *got)
			}
			after := e.courseByID(t, before.ID)
			if !slices.Equal(after.Requirements, []string{"One", "Two"}) || len(after.Takeaways) != 0 || after.Version != before.Version+1 {
				t.Fatalf("stored course: %+v", after)
			}
		})

		t.Run("AssistantIsForbidden", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			before := e.course(t, backendCourse)
			e.as(t, priyaEmail).refused(t, updateCourse, input(map[string]any{"id": courseGID(before.ID),
				"expectedVersion": before.Version, "title": "Hijacked"}), "FORBIDDEN")
			requireUnchanged(t, e, before)
		})

		t.Run("UnrelatedInstructorOnPublishedCourse", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			stranger := e.newCaller(t, "stranger", user.RoleINSTRUCTOR, true)
			before := e.course(t, graphqlCourse)
			stranger.refused(t, updateCourse, input(map[string]any{"id": courseGID(before.ID),
				"expectedVersion": before.Version, "title": "Hijacked"}), "FORBIDDEN")
			requireUnchanged(t, e, before)
		})

		t.Run("UnrelatedInstructorOnDraftSeesNotFound", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			stranger := e.newCaller(t, "stranger", user.RoleINSTRUCTOR, true)
			before := e.course(t, draftCourse)
			hidden := stranger.call(t, updateCourse, input(map[string]any{"id": courseGID(before.ID),
				"expectedVersion": before.Version, "title": "Hijacked"}))
			requireUserError(t, hidden, "NOT_FOUND", "input", "id")
			missing := stranger.call(t, updateCourse, input(map[string]any{"id": courseGID(uuid.New()),
				"expectedVersion": before.Version, "title": "Hijacked"}))
			if string(hidden.Raw) != string(missing.Raw) {
				t.Fatalf("someone else's draft answers\n  %s\nbut a missing course answers\n  %s", hidden.Raw, missing.Raw)
			}
			requireUnchanged(t, e, before)
		})

		t.Run("AdministratorNeedsMFA", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			id := amara.draft(t, "moderated-details")
			before := e.courseByID(t, parseCourseID(t, id))
			// Without MFA an administrator cannot see someone else's draft.
			requireUserError(t, e.as(t, adminEmail).call(t, updateCourse, input(map[string]any{"id": id, "expectedVersion": 1,
				"title": "Moderated"})), "NOT_FOUND", "input", "id")
			requireUnchanged(t, e, before)
			got := requireOK(t, "updateCourse by an MFA admin", e.mfaAdmin(t).call(t, updateCourse,
				input(map[string]any{"id": id, "expectedVersion": 1, "title": "Moderated"})))
			if got.Title != "Moderated" || got.Version != 2 {
				t.Fatalf("updated course: %+v", *got)
			}
		})

		t.Run("StaleVersionConflicts", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			id := amara.draft(t, "stale-version")
			requireOK(t, "first update", amara.call(t, updateCourse, input(map[string]any{"id": id,
				"expectedVersion": 1, "title": "First"})))
			before := e.courseByID(t, parseCourseID(t, id))
			p := amara.call(t, updateCourse, input(map[string]any{"id": id, "expectedVersion": 1,
				"title": "Second", "summary": "Overwritten"}))
			requireUserError(t, p, "CONFLICT", "input", "expectedVersion")
			requireUnchanged(t, e, before)
			if before.Title != "First" || before.Version != 2 {
				t.Fatalf("after one update: %+v", before)
			}
		})

		t.Run("TakenSlug", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			id := amara.draft(t, "slug-collision")
			before := e.courseByID(t, parseCourseID(t, id))
			p := amara.call(t, updateCourse, input(map[string]any{"id": id, "expectedVersion": 1, "slug": graphqlCourse}))
			requireUserError(t, p, "SLUG_TAKEN", "input", "slug")
			requireUnchanged(t, e, before)
		})

		t.Run("ConcurrentUpdatesWithOneVersion", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			id := amara.draft(t, "concurrent-updates")
			// Several rounds, so the two requests overlap in at least some
			// of them whatever the scheduling.
			for round := 1; round <= 5; round++ {
				titles := []string{"Left " + strings.Repeat("!", round), "Right " + strings.Repeat("!", round)}
				reqs := make([]*http.Request, len(titles))
				for i, title := range titles {
					reqs[i] = amara.Request(t, updateCourse.doc, input(map[string]any{"id": id,
						"expectedVersion": round, "title": title}))
				}
				responses := e.app.ServeAtOnce(t, reqs...)
				var winners []string
				for i, r := range responses {
					var data map[string]coursePayload
					r.Decode(t, &data)
					p := data[updateCourse.field]
					switch {
					case len(p.UserErrors) == 0 && p.Course != nil:
						winners = append(winners, titles[i])
					case len(p.UserErrors) == 1 && p.UserErrors[0].Code == "CONFLICT":
					default:
						t.Fatalf("round %d: unexpected payload %+v", round, p)
					}
				}
				if len(winners) != 1 {
					t.Fatalf("round %d: %d updates succeeded with one expectedVersion, want exactly 1", round, len(winners))
				}
				row := e.courseByID(t, parseCourseID(t, id))
				if row.Version != round+1 || row.Title != winners[0] {
					t.Fatalf("round %d: stored version %d title %q, want %d %q", round, row.Version, row.Title, round+1, winners[0])
				}
			}
		})
	})
}
