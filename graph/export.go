package graph

import (
	"lectern/ent"
	"lectern/graph/model"
	"lectern/internal/export"
)

// exportCourseCheck checks the courseId of a requestExport: an ID of
// another type names no course (NOT_FOUND). A MY_DATA_JSON takes no
// course at all, which the domain answers (INVALID) whatever the ID.
func exportCourseCheck(in model.RequestExportInput) error {
	if in.Kind == export.MyDataJSON {
		return nil
	}
	return requireOptional(in.CourseID, "Course", "courseId")
}

func requestExportPayload(e *ent.Export, ue userErrors) *model.RequestExportPayload {
	return &model.RequestExportPayload{Export: e, UserErrors: ue}
}
