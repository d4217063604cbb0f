package authoring_test

import (
	"testing"

	"lectern/internal/testenv"
)

func TestContentPositions(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("StayDenseThroughCreatesMovesAndDeletes", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			const slug = "dense-positions"
			courseID := amara.draft(t, slug)
			o := outline{e: e, viewer: amara, slug: slug, id: parseCourseID(t, courseID), names: names{}}
			sec := map[string]string{}
			les := map[string]string{}
			faq := map[string]string{}

			moveS := func(t *testing.T, name string, to, want int) {
				t.Helper()
				p := requireDone(t, "moveSection "+name, amara.edit(t, moveSection, input(map[string]any{"id": sec[name], "position": to})))
				if p.Section.ID != sec[name] || p.Section.Position != want {
					t.Fatalf("moveSection %s to %d: payload %s, want position %d", name, to, p.Raw, want)
				}
			}
			// into is "" to keep the lesson in its own section.
			moveL := func(t *testing.T, name, into string, to, want int) {
				t.Helper()
				in := map[string]any{"id": les[name], "position": to}
				if into != "" {
					in["sectionId"] = sec[into]
				}
				p := requireDone(t, "moveLesson "+name, amara.edit(t, moveLesson, input(in)))
				if p.Lesson.ID != les[name] || p.Lesson.Position != want || (into != "" && p.Lesson.Section.ID != sec[into]) {
					t.Fatalf("moveLesson %s to %s/%d: payload %s, want position %d", name, into, to, p.Raw, want)
				}
			}
			moveF := func(t *testing.T, name string, to, want int) {
				t.Helper()
				p := requireDone(t, "moveFaqEntry "+name, amara.edit(t, moveFaqEntry, input(map[string]any{"id": faq[name], "position": to})))
				if p.FaqEntry.ID != faq[name] || p.FaqEntry.Position != want {
					t.Fatalf("moveFaqEntry %s to %d: payload %s, want position %d", name, to, p.Raw, want)
				}
			}

			for i, name := range []string{"A", "B", "C", "D"} {
				s := amara.newSection(t, courseID, "Section "+name)
				if s.Position != i {
					t.Fatalf("section %s created at %d, want %d (appended)", name, s.Position, i)
				}
				sec[name] = o.names.label(t, s.ID, name)
			}
			o.require(t, "four sections", []string{"A", "B", "C", "D"}, nil)

			moveS(t, "D", 0, 0)
			o.require(t, "D to the front", []string{"D", "A", "B", "C"}, nil)
			moveS(t, "A", 2, 2)
			o.require(t, "A to the middle", []string{"D", "B", "A", "C"}, nil)
			moveS(t, "D", 99, 3)
			o.require(t, "D past the end", []string{"B", "A", "C", "D"}, nil)
			moveS(t, "C", -3, 0)
			o.require(t, "C to a negative position", []string{"C", "B", "A", "D"}, nil)
			moveS(t, "A", 2, 2)
			o.require(t, "A to where it is", []string{"C", "B", "A", "D"}, nil)

			for _, l := range []struct{ in, name string }{{"B", "b1"}, {"B", "b2"}, {"B", "b3"}, {"B", "b4"}, {"A", "a1"}, {"A", "a2"}} {
				les[l.name] = o.names.label(t, amara.newLesson(t, sec[l.in], l.name, nil).ID, l.name)
			}
			o.require(t, "lessons appended", []string{"C", "B: b1 b2 b3 b4", "A: a1 a2", "D"}, nil)

			moveL(t, "b4", "", 0, 0)
			o.require(t, "b4 to the front", []string{"C", "B: b4 b1 b2 b3", "A: a1 a2", "D"}, nil)
			moveL(t, "b1", "", -1, 0)
			o.require(t, "b1 to a negative position", []string{"C", "B: b1 b4 b2 b3", "A: a1 a2", "D"}, nil)
			moveL(t, "b4", "", 10, 3)
			o.require(t, "b4 past the end", []string{"C", "B: b1 b2 b3 b4", "A: a1 a2", "D"}, nil)
			moveL(t, "b2", "A", 1, 1)
			o.require(t, "b2 into the middle of A", []string{"C", "B: b1 b3 b4", "A: a1 b2 a2", "D"}, nil)
			moveL(t, "a2", "C", 5, 0)
			o.require(t, "a2 into empty C", []string{"C: a2", "B: b1 b3 b4", "A: a1 b2", "D"}, nil)
			moveL(t, "b1", "A", -2, 0)
			o.require(t, "b1 to the front of A", []string{"C: a2", "B: b3 b4", "A: b1 a1 b2", "D"}, nil)
			moveL(t, "b3", "B", 1, 1)
			o.require(t, "b3 within B, named explicitly", []string{"C: a2", "B: b4 b3", "A: b1 a1 b2", "D"}, nil)

			requireDeleted(t, "deleteLesson a1", amara.edit(t, deleteLesson, map[string]any{"id": les["a1"]}), les["a1"])
			o.require(t, "a1 deleted", []string{"C: a2", "B: b4 b3", "A: b1 b2", "D"}, nil)
			les["a3"] = o.names.label(t, amara.newLesson(t, sec["A"], "a3", nil).ID, "a3")
			o.require(t, "a3 appended after a delete", []string{"C: a2", "B: b4 b3", "A: b1 b2 a3", "D"}, nil)

			requireDeleted(t, "deleteSection B", amara.edit(t, deleteSection, map[string]any{"id": sec["B"]}), sec["B"])
			o.require(t, "B deleted with its lessons", []string{"C: a2", "A: b1 b2 a3", "D"}, nil)
			sec["E"] = o.names.label(t, amara.newSection(t, courseID, "Section E").ID, "E")
			o.require(t, "E appended after a delete", []string{"C: a2", "A: b1 b2 a3", "D", "E"}, nil)

			sections := []string{"C: a2", "A: b1 b2 a3", "D", "E"}
			for i, name := range []string{"q1", "q2", "q3", "q4"} {
				f := amara.newFAQ(t, courseID, "Question "+name+"?")
				if f.Position != i {
					t.Fatalf("FAQ entry %s created at %d, want %d", name, f.Position, i)
				}
				faq[name] = o.names.label(t, f.ID, name)
			}
			o.require(t, "four FAQ entries", sections, []string{"q1", "q2", "q3", "q4"})
			moveF(t, "q4", 0, 0)
			o.require(t, "q4 to the front", sections, []string{"q4", "q1", "q2", "q3"})
			moveF(t, "q1", 99, 3)
			o.require(t, "q1 past the end", sections, []string{"q4", "q2", "q3", "q1"})
			moveF(t, "q3", -1, 0)
			o.require(t, "q3 to a negative position", sections, []string{"q3", "q4", "q2", "q1"})
			moveF(t, "q2", 1, 1)
			o.require(t, "q2 to the middle", sections, []string{"q3", "q2", "q4", "q1"})
			requireDeleted(t, "deleteFaqEntry q4", amara.edit(t, deleteFaqEntry, map[string]any{"id": faq["q4"]}), faq["q4"])
			o.require(t, "q4 deleted", sections, []string{"q3", "q2", "q1"})
			faq["q5"] = o.names.label(t, amara.newFAQ(t, courseID, "Question q5?").ID, "q5")
			o.require(t, "q5 appended after a delete", sections, []string{"q3", "q2", "q1", "q5"})
		})

		t.Run("LessonDoesNotMoveToAnotherCourse", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			// Amara may edit both courses; the lesson still stays in its own.
			home, away := amara.draft(t, "home-course"), amara.draft(t, "away-course")
			ho := outline{e: e, viewer: amara, slug: "home-course", id: parseCourseID(t, home), names: names{}}
			ao := outline{e: e, viewer: amara, slug: "away-course", id: parseCourseID(t, away), names: ho.names}
			hs := ho.names.label(t, amara.newSection(t, home, "Home").ID, "H")
			as := ho.names.label(t, amara.newSection(t, away, "Away").ID, "W")
			mover := ho.names.label(t, amara.newLesson(t, hs, "mover", nil).ID, "mover")
			ho.names.label(t, amara.newLesson(t, hs, "stayer", nil).ID, "stayer")
			ho.names.label(t, amara.newLesson(t, as, "resident", nil).ID, "resident")
			ho.require(t, "before", []string{"H: mover stayer"}, nil)
			ao.require(t, "before", []string{"W: resident"}, nil)

			elsewhere := amara.edit(t, moveLesson, input(map[string]any{"id": mover, "sectionId": as, "position": 0}))
			requireProblem(t, elsewhere, "NOT_FOUND", "input", "sectionId")
			missing := amara.edit(t, moveLesson, input(map[string]any{"id": mover, "sectionId": randomGID("Section"), "position": 0}))
			if string(elsewhere.Raw) != string(missing.Raw) {
				t.Fatalf("a section of another course answers\n  %s\nbut a missing section answers\n  %s", elsewhere.Raw, missing.Raw)
			}
			ho.require(t, "after the refused move", []string{"H: mover stayer"}, nil)
			ao.require(t, "after the refused move", []string{"W: resident"}, nil)
		})
	})
}
