package graph

import (
	"lectern/ent"
	"lectern/graph/model"
	"lectern/internal/gid"
)

// The payloads of the administration, authoring and learning mutations,
// from the domain's results. The ID of what was deleted appears only when
// the mutation succeeded.

func setUserRolePayload(u *ent.User, ue userErrors) *model.SetUserRolePayload {
	return &model.SetUserRolePayload{User: u, UserErrors: ue}
}

func disableUserPayload(u *ent.User, ue userErrors) *model.DisableUserPayload {
	return &model.DisableUserPayload{User: u, UserErrors: ue}
}

func coursePayload(c *ent.Course, ue userErrors) *model.CoursePayload {
	return &model.CoursePayload{Course: c, UserErrors: ue}
}

func sectionPayload(s *ent.Section, ue userErrors) *model.SectionPayload {
	return &model.SectionPayload{Section: s, UserErrors: ue}
}

func lessonPayload(l *ent.Lesson, ue userErrors) *model.LessonPayload {
	return &model.LessonPayload{Lesson: l, UserErrors: ue}
}

func faqEntryPayload(e *ent.FAQEntry, ue userErrors) *model.FAQEntryPayload {
	return &model.FAQEntryPayload{FaqEntry: e, UserErrors: ue}
}

func deletePayload(id gid.ID, ue userErrors) *model.DeletePayload {
	out := &model.DeletePayload{UserErrors: ue}
	if len(ue) == 0 {
		out.DeletedID = &id
	}
	return out
}

func enrollmentPayload(e *ent.Enrollment, ue userErrors) *model.EnrollmentPayload {
	return &model.EnrollmentPayload{Enrollment: e, UserErrors: ue}
}

func reviewPayload(rv *ent.Review, ue userErrors) *model.ReviewPayload {
	return &model.ReviewPayload{Review: rv, UserErrors: ue}
}

func deleteReviewPayload(id gid.ID, ue userErrors) *model.DeleteReviewPayload {
	out := &model.DeleteReviewPayload{UserErrors: ue}
	if len(ue) == 0 {
		out.ReviewID = &id
	}
	return out
}
