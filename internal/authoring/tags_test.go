package authoring_test

import (
	"fmt"
	"slices"
	"testing"

	"lectern/ent/tag"
	"lectern/internal/testenv"
)

func TestSetCourseTags(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("ReplacesBySlug", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			before := e.course(t, backendCourse)
			if got := e.tagSlugs(t, before.ID); len(got) != 6 {
				t.Fatalf("demo data: %s has tags %v, want 6", backendCourse, got)
			}
			got := requireOK(t, "setCourseTags", setTags(t, amara, courseGID(before.ID), []string{"graphql", "sql"}))
			want := []string{"graphql", "sql"}
			if !slices.Equal(payloadTags(got), want) || got.Version != before.Version+1 {
				t.Fatalf("payload: tags %v version %d, want %v and %d", payloadTags(got), got.Version, want, before.Version+1)
			}
			if stored := e.tagSlugs(t, before.ID); !slices.Equal(stored, want) {
				t.Fatalf("stored tags %v, want %v", stored, want)
			}
			if v := e.courseByID(t, before.ID).Version; v != before.Version+1 {
				t.Fatalf("stored version %d, want %d", v, before.Version+1)
			}
		})

		t.Run("DeduplicatesThenEmptiesTheList", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			id := amara.draft(t, "tag-dedup")
			courseID := parseCourseID(t, id)
			got := requireOK(t, "setCourseTags", setTags(t, amara, id, []string{"testing", "security", "testing", "security"}))
			want := []string{"security", "testing"}
			if !slices.Equal(payloadTags(got), want) || got.Version != 2 {
				t.Fatalf("payload: tags %v version %d, want %v and 2", payloadTags(got), got.Version, want)
			}
			if stored := e.tagSlugs(t, courseID); !slices.Equal(stored, want) {
				t.Fatalf("stored tags %v, want %v", stored, want)
			}

			got = requireOK(t, "setCourseTags []", setTags(t, amara, id, []string{}))
			if len(got.Tags) != 0 || got.Version != 3 {
				t.Fatalf("payload after clearing: %+v", *got)
			}
			if stored := e.tagSlugs(t, courseID); len(stored) != 0 {
				t.Fatalf("stored tags after clearing: %v", stored)
			}
			if v := e.courseByID(t, courseID).Version; v != 3 {
				t.Fatalf("stored version %d, want 3", v)
			}
		})

		t.Run("TenTagsFit", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			id := amara.draft(t, "ten-tags")
			all := allTagSlugs(t, e)
			requireOK(t, "setCourseTags with 10", setTags(t, amara, id, all[:10]))
			if stored := e.tagSlugs(t, parseCourseID(t, id)); len(stored) != 10 {
				t.Fatalf("stored %d tags, want 10", len(stored))
			}
		})

		// A huge list is refused before any work is done on it.
		t.Run("HugeListIsRefusedUpFront", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			c := e.course(t, backendCourse)
			huge := make([]string, 10_000)
			for i := range huge {
				huge[i] = fmt.Sprintf("tag-%d", i)
			}
			requireUserError(t, setTags(t, amara, courseGID(c.ID), huge), "INVALID", "input", "tags")
			requireUnchanged(t, e, c)
		})

		t.Run("ElevenTagsAreInvalid", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			c := e.course(t, backendCourse)
			id := courseGID(c.ID)
			before := e.tagSlugs(t, c.ID)
			all := allTagSlugs(t, e)
			if len(all) != 11 {
				t.Fatalf("demo data: %d tags, want 11", len(all))
			}
			requireUserError(t, setTags(t, amara, id, all), "INVALID", "input", "tags")
			if stored := e.tagSlugs(t, c.ID); !slices.Equal(stored, before) {
				t.Fatalf("stored tags changed from %v to %v", before, stored)
			}
			requireUnchanged(t, e, c)
		})

		t.Run("UnknownSlugIsInvalidAtItsIndex", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			c := e.course(t, graphqlCourse) // Amara co-teaches it
			before := e.tagSlugs(t, c.ID)
			requireUserError(t, setTags(t, amara, courseGID(c.ID), []string{"sql", "no-such-tag"}), "INVALID", "input", "tags", "1")
			if stored := e.tagSlugs(t, c.ID); !slices.Equal(stored, before) {
				t.Fatalf("stored tags changed from %v to %v", before, stored)
			}
			requireUnchanged(t, e, c)
		})

		t.Run("UnknownSlugAfterADuplicateIsInvalidAtItsIndex", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			c := e.course(t, graphqlCourse)
			before := e.tagSlugs(t, c.ID)
			// The index is the position in the list the client sent.
			requireUserError(t, setTags(t, amara, courseGID(c.ID), []string{"sql", "sql", "no-such-tag"}), "INVALID", "input", "tags", "2")
			if stored := e.tagSlugs(t, c.ID); !slices.Equal(stored, before) {
				t.Fatalf("stored tags changed from %v to %v", before, stored)
			}
		})

		t.Run("AssistantIsForbidden", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			c := e.course(t, backendCourse)
			before := e.tagSlugs(t, c.ID)
			e.as(t, priyaEmail).refused(t, setCourseTags, input(map[string]any{"courseId": courseGID(c.ID), "tags": []string{}}), "FORBIDDEN")
			if stored := e.tagSlugs(t, c.ID); !slices.Equal(stored, before) {
				t.Fatalf("stored tags changed from %v to %v", before, stored)
			}
		})
	})
}

// allTagSlugs lists every stored tag's slug, sorted.
func allTagSlugs(t testing.TB, e *env) []string {
	t.Helper()
	slugs, err := e.db.Ent.Tag.Query().Order(tag.BySlug()).Select(tag.FieldSlug).Strings(sys())
	if err != nil {
		t.Fatal(err)
	}
	return slugs
}

func setTags(t testing.TB, c *caller, courseID string, tags []string) coursePayload {
	t.Helper()
	return c.call(t, setCourseTags, input(map[string]any{"courseId": courseID, "tags": tags}))
}

// payloadTags lists the slugs of a payload's course's tags, sorted.
func payloadTags(c *courseOut) []string {
	var out []string
	for _, tg := range c.Tags {
		out = append(out, tg.Slug)
	}
	slices.Sort(out)
	return out
}
