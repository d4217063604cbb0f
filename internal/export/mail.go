package export

import (
	"context"
	"fmt"

	"lectern/ent"
	entexport "lectern/ent/export"
	"lectern/internal/database"
	"lectern/internal/gid"
	"lectern/internal/jobs"
	"lectern/internal/mail"
)

// Compose builds the jobs.TemplateExportReady message of args inside tx
// (it implements jobs.Composer for that template; ctx acts as the system
// viewer, as the email worker runs it). send is false when there is
// nothing to announce any more: the export is gone or no longer
// SUCCEEDED, or its requester's account is disabled.
func (s *Service) Compose(ctx context.Context, tx *database.Tx, args jobs.EmailArgs) (mail.Message, bool, error) {
	if args.Template != jobs.TemplateExportReady {
		return mail.Message{}, false, fmt.Errorf("export: compose %q: %w", args.Template, mail.ErrInvalid)
	}
	e, err := tx.Export.Query().Where(entexport.ID(args.ExportID), entexport.UserID(args.UserID)).
		WithUser().WithCourse().Only(ctx)
	if ent.IsNotFound(err) {
		return mail.Message{}, false, nil
	}
	if err != nil {
		return mail.Message{}, false, fmt.Errorf("export: compose: %w", err)
	}
	u := e.Edges.User
	if e.Status != entexport.StatusSUCCEEDED || e.ExpiresAt == nil || u == nil || u.DisabledAt != nil {
		return mail.Message{}, false, nil
	}
	what := "your Lectern data"
	if c := e.Edges.Course; c != nil {
		what = "the learners of " + c.Title
	}
	msg, err := s.renderer.ExportReady(u.Email, u.DisplayName, gid.New("Export", e.ID).String(), what, *e.ExpiresAt)
	if err != nil {
		return mail.Message{}, false, fmt.Errorf("export: compose: %w", err)
	}
	return msg, true, nil
}
