package authoring_test

import (
	"testing"

	"lectern/ent/lesson"
	"lectern/ent/user"
	"lectern/internal/testenv"
)

func TestContentRoles(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("OwnerMayDoEverything", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			e.exerciseContent(t, amara, amara.draft(t, "owner-writes"))
		})

		t.Run("CourseInstructorMayDoEverything", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			id := amara.draft(t, "instructor-writes")
			daniel := e.as(t, danielEmail)
			requireOK(t, "addCourseMember", amara.call(t, addCourseMember, input(map[string]any{
				"courseId": id, "userId": userGID(daniel.ID), "role": "INSTRUCTOR"})))
			e.exerciseContent(t, daniel, id)
		})

		t.Run("AdministratorWithMFAMayDoEverything", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			e.exerciseContent(t, e.mfaAdmin(t), amara.draft(t, "moderated-content"))
		})

		// The cases below only read what this builds, refused one after the
		// other: they share it, and run in turn.
		e := setup(t, dialect)
		amara := e.as(t, amaraEmail)
		published := e.contentFixture(t, amara, "guarded-published", true)
		draft := e.contentFixture(t, amara, "guarded-draft", false)
		// A global instructor, so that the course role alone decides; a
		// learner assisting is refused before the course is looked at.
		assistant := e.newCaller(t, "assistant", user.RoleINSTRUCTOR, true)
		learnerAssistant := e.newCaller(t, "learner-assistant", user.RoleLEARNER, true)
		for _, id := range []string{published.course, draft.course} {
			for _, a := range []*caller{assistant, learnerAssistant} {
				requireOK(t, "addCourseMember", amara.call(t, addCourseMember, input(map[string]any{
					"courseId": id, "userId": userGID(a.ID), "role": "ASSISTANT"})))
			}
		}
		stranger := e.newCaller(t, "stranger", user.RoleINSTRUCTOR, true)
		learner := e.newCaller(t, "learner", user.RoleLEARNER, true)
		learner.enroll(t, published.course)
		admin := e.as(t, adminEmail)
		missing := contentIDs{course: randomGID("Course"), section: randomGID("Section"), lesson: randomGID("Lesson"),
			draft: randomGID("Lesson"), faq: randomGID("FAQEntry")}

		t.Run("Forbidden", func(t *testing.T) {
			// Outsiders cannot see draft lessons, so they try to publish a
			// published one: the role check comes first.
			tests := []struct {
				name    string
				c       *caller
				x       contentIDs
				publish string
			}{
				{"AssistantOnPublishedCourse", assistant, published, published.draft},
				{"AssistantOnDraftCourse", assistant, draft, draft.draft},
				{"LearnerAssistantOnDraftCourse", learnerAssistant, draft, draft.draft},
				{"UnrelatedInstructorOnPublishedCourse", stranger, published, published.lesson},
				{"EnrolledLearnerOnPublishedCourse", learner, published, published.lesson},
				{"LearnerOnDraftCourse", learner, draft, draft.draft},
				{"AdministratorWithoutMFAOnPublishedCourse", admin, published, published.lesson},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					courseID := parseCourseID(t, tt.x.course)
					before := e.contentSnapshot(t, courseID)
					for _, call := range everyContentOp(tt.x, tt.publish) {
						tt.c.refused(t, call.o, call.vars, "FORBIDDEN")
					}
					if after := e.contentSnapshot(t, courseID); after != before {
						t.Fatalf("refused writes changed the course:\nbefore\n%s\nafter\n%s", before, after)
					}
				})
			}
		})

		// An administrator without MFA sees no more of other people's
		// drafts than an unrelated instructor does.
		for name, c := range map[string]*caller{"UnrelatedInstructorSeesNotFoundForADraft": stranger,
			"AdministratorWithoutMFASeesNotFoundForADraft": admin} {
			t.Run(name, func(t *testing.T) {
				courseID := parseCourseID(t, draft.course)
				before := e.contentSnapshot(t, courseID)
				hidden, absent := everyContentOp(draft, draft.draft), everyContentOp(missing, missing.draft)
				for i := range hidden {
					h := c.edit(t, hidden[i].o, hidden[i].vars)
					requireProblem(t, h, "NOT_FOUND", hidden[i].notFoundAt...)
					if m := c.edit(t, absent[i].o, absent[i].vars); string(h.Raw) != string(m.Raw) {
						t.Errorf("%s: someone else's draft answers\n  %s\nbut a missing object answers\n  %s", hidden[i].o.field, h.Raw, m.Raw)
					}
				}
				if after := e.contentSnapshot(t, courseID); after != before {
					t.Fatalf("refused writes changed the course:\nbefore\n%s\nafter\n%s", before, after)
				}
			})
		}

		t.Run("LearnerAnswerDoesNotRevealADraft", func(t *testing.T) {
			// Learners are refused before any lookup, so a draft and a
			// missing object must answer alike.
			hidden, absent := everyContentOp(draft, draft.draft), everyContentOp(missing, missing.draft)
			for i := range hidden {
				h := learner.Query(t, hidden[i].o.doc, hidden[i].vars)
				m := learner.Query(t, absent[i].o.doc, absent[i].vars)
				if len(h.Errors) != 1 || len(m.Errors) != 1 || h.Errors[0].Extensions.Code != "FORBIDDEN" ||
					m.Errors[0].Extensions.Code != "FORBIDDEN" || h.Errors[0].Message != m.Errors[0].Message ||
					string(h.Data) != string(m.Data) {
					t.Errorf("%s: a draft answers %+v (data %s), a missing object %+v (data %s)", hidden[i].o.field,
						h.Errors, h.Data, m.Errors, m.Data)
				}
			}
		})

		t.Run("DraftLessonIsHiddenFromOutsiders", func(t *testing.T) {
			hidden := stranger.edit(t, publishLesson, map[string]any{"id": published.draft})
			requireProblem(t, hidden, "NOT_FOUND", "id")
			if m := stranger.edit(t, publishLesson, map[string]any{"id": randomGID("Lesson")}); string(hidden.Raw) != string(m.Raw) {
				t.Errorf("a draft lesson answers\n  %s\nbut a missing one answers\n  %s", hidden.Raw, m.Raw)
			}
			if row := e.lessonRow(t, published.draft); row.Status != lesson.StatusDRAFT {
				t.Fatalf("the draft lesson is %s", row.Status)
			}
		})
	})
}

// contentIDs names one course's content by global ID: a published lesson
// and a draft one in the first of two sections, and the first of two FAQ
// entries.
type contentIDs struct {
	course, section, lesson, draft, faq string
}

// contentFixture builds that content as owner, in a published course or a
// draft.
func (e *env) contentFixture(t testing.TB, owner *caller, slug string, publish bool) contentIDs {
	t.Helper()
	id := owner.draft(t, slug)
	first := owner.newSection(t, id, "First")
	owner.newSection(t, id, "Second")
	published := owner.publish(t, owner.newLesson(t, first.ID, "published", nil).ID)
	draft := owner.newLesson(t, first.ID, "draft", nil)
	faq := owner.newFAQ(t, id, "First question?")
	owner.newFAQ(t, id, "Second question?")
	if publish {
		requireOK(t, "publishCourse", owner.call(t, publishCourse, byID(id)))
	}
	return contentIDs{course: id, section: first.ID, lesson: published.ID, draft: draft.ID, faq: faq.ID}
}

// contentCall is one content mutation with its variables, and where it
// reports an object it cannot find.
type contentCall struct {
	o          op
	vars       map[string]any
	notFoundAt []string
}

// everyContentOp aims each content mutation at x's rows, each one a change
// if it were allowed; publish is the lesson publishLesson is given.
func everyContentOp(x contentIDs, publish string) []contentCall {
	idOnly := func(id string) map[string]any { return map[string]any{"id": id} }
	return []contentCall{
		{createSection, input(map[string]any{"courseId": x.course, "title": "Intruder"}), []string{"input", "courseId"}},
		{updateSection, input(map[string]any{"id": x.section, "title": "Intruder"}), []string{"input", "id"}},
		{moveSection, input(map[string]any{"id": x.section, "position": 1}), []string{"input", "id"}},
		{deleteSection, idOnly(x.section), []string{"id"}},
		{createLesson, input(map[string]any{"sectionId": x.section, "title": "Intruder", "slug": "intruder"}), []string{"input", "sectionId"}},
		{updateLesson, input(map[string]any{"id": x.lesson, "title": "Intruder", "body": "Defaced."}), []string{"input", "id"}},
		{moveLesson, input(map[string]any{"id": x.lesson, "position": 1}), []string{"input", "id"}},
		{deleteLesson, idOnly(x.lesson), []string{"id"}},
		{publishLesson, idOnly(publish), []string{"id"}},
		{createFaqEntry, input(map[string]any{"courseId": x.course, "question": "Intruder?", "answer": "Yes."}), []string{"input", "courseId"}},
		{updateFaqEntry, input(map[string]any{"id": x.faq, "answer": "Defaced."}), []string{"input", "id"}},
		{moveFaqEntry, input(map[string]any{"id": x.faq, "position": 1}), []string{"input", "id"}},
		{deleteFaqEntry, idOnly(x.faq), []string{"id"}},
	}
}

// exerciseContent runs every content mutation once as c on a course,
// checking each payload and the stored rows it leaves.
func (e *env) exerciseContent(t *testing.T, c *caller, courseGID string) {
	t.Helper()
	courseID := parseCourseID(t, courseGID)
	first := c.newSection(t, courseGID, "First")
	second := c.newSection(t, courseGID, "Second")
	if row := e.sectionRow(t, first.ID); row.CourseID != courseID || row.Title != "First" || first.Course.ID != courseGID {
		t.Fatalf("created section: payload %+v, stored %+v", *first, row)
	}

	p := requireDone(t, "updateSection", c.edit(t, updateSection, input(map[string]any{"id": first.ID, "title": "  Renamed  "})))
	if p.Section.Title != "Renamed" || e.sectionRow(t, first.ID).Title != "Renamed" {
		t.Fatalf("updateSection: %s", p.Raw)
	}
	p = requireDone(t, "moveSection", c.edit(t, moveSection, input(map[string]any{"id": second.ID, "position": 0})))
	if p.Section.Position != 0 || e.sectionRow(t, second.ID).Position != 0 || e.sectionRow(t, first.ID).Position != 1 {
		t.Fatalf("moveSection: %s", p.Raw)
	}

	l := c.newLesson(t, first.ID, "written-here", map[string]any{"body": "A short body."})
	if row := e.lessonRow(t, l.ID); l.Status != "DRAFT" || row.Status != lesson.StatusDRAFT || row.SectionID != rowID(t, first.ID) ||
		row.Body != "A short body." || row.Access != lesson.AccessENROLLED {
		t.Fatalf("created lesson: payload %+v, stored %+v", *l, row)
	}
	p = requireDone(t, "updateLesson", c.edit(t, updateLesson, input(map[string]any{"id": l.ID, "title": "Retitled", "access": "PUBLIC"})))
	if row := e.lessonRow(t, l.ID); p.Lesson.Title != "Retitled" || p.Lesson.Access != "PUBLIC" || row.Title != "Retitled" ||
		row.Access != lesson.AccessPUBLIC || row.Body != "A short body." {
		t.Fatalf("updateLesson: payload %s, stored %+v", p.Raw, row)
	}
	other := c.newLesson(t, second.ID, "to-be-deleted", nil)
	p = requireDone(t, "moveLesson", c.edit(t, moveLesson, input(map[string]any{"id": l.ID, "sectionId": second.ID, "position": 0})))
	if row := e.lessonRow(t, l.ID); p.Lesson.Section.ID != second.ID || p.Lesson.Position != 0 ||
		row.SectionID != rowID(t, second.ID) || row.Position != 0 || e.lessonRow(t, other.ID).Position != 1 {
		t.Fatalf("moveLesson: payload %s, stored %+v", p.Raw, row)
	}
	count := e.courseByID(t, courseID).LessonCount
	p = requireDone(t, "publishLesson", c.edit(t, publishLesson, map[string]any{"id": l.ID}))
	if p.Lesson.Status != "PUBLISHED" || e.lessonRow(t, l.ID).Status != lesson.StatusPUBLISHED ||
		e.courseByID(t, courseID).LessonCount != count+1 {
		t.Fatalf("publishLesson: %s", p.Raw)
	}
	requireDeleted(t, "deleteLesson", c.edit(t, deleteLesson, map[string]any{"id": other.ID}), other.ID)
	if e.exists(t, other.ID) {
		t.Fatal("deleteLesson left the lesson stored")
	}

	q := c.newFAQ(t, courseGID, "Why?")
	p = requireDone(t, "updateFaqEntry", c.edit(t, updateFaqEntry, input(map[string]any{"id": q.ID, "answer": "Because."})))
	if row := e.faqRow(t, q.ID); p.FaqEntry.Answer != "Because." || row.Answer != "Because." || row.Question != "Why?" {
		t.Fatalf("updateFaqEntry: payload %s, stored %+v", p.Raw, row)
	}
	q2 := c.newFAQ(t, courseGID, "How?")
	p = requireDone(t, "moveFaqEntry", c.edit(t, moveFaqEntry, input(map[string]any{"id": q2.ID, "position": 0})))
	if p.FaqEntry.Position != 0 || e.faqRow(t, q2.ID).Position != 0 || e.faqRow(t, q.ID).Position != 1 {
		t.Fatalf("moveFaqEntry: %s", p.Raw)
	}
	requireDeleted(t, "deleteFaqEntry", c.edit(t, deleteFaqEntry, map[string]any{"id": q.ID}), q.ID)
	if e.exists(t, q.ID) || e.faqRow(t, q2.ID).Position != 0 {
		t.Fatal("deleteFaqEntry: the entry is still stored or the other did not close up")
	}

	requireDeleted(t, "deleteSection", c.edit(t, deleteSection, map[string]any{"id": first.ID}), first.ID)
	if e.exists(t, first.ID) || e.sectionRow(t, second.ID).Position != 0 {
		t.Fatal("deleteSection: the section is still stored or the other did not close up")
	}
}
