package export_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/coursemember"
	entexport "lectern/ent/export"
	"lectern/internal/export"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

// TestRunTwice runs one export's job as River may: twice by hand (the
// delivery repeated), then the queued job itself. The file is written to
// one key, so there is one object, and the email goes once.
func TestRunTwice(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		owner := e.signInDemo(t, "INSTRUCTOR")
		x := e.request(t, owner, "COURSE_LEARNERS_CSV", e.courseID(t, owner, demoCourse))
		id := uuidOf(t, x.ID)
		for range 2 {
			if err := e.app.Export.Run(context.Background(), id, false); err != nil {
				t.Fatalf("run: %v", err)
			}
		}
		e.runJobs(t)
		if got, want := e.objects(t), []string{keyOf(t, x.ID, "COURSE_LEARNERS_CSV")}; !slices.Equal(got, want) {
			t.Errorf("objects = %v, want %v", got, want)
		}
		if n := e.jobCount(t, "email", `"export_id":"`+id.String()+`"`); n != 1 {
			t.Errorf("%d email jobs for the export, want 1", n)
		}
		if msgs := e.mail.exportMessages(t); len(msgs) != 1 {
			t.Errorf("%d export emails sent, want 1", len(msgs))
		}
		if got := e.export(t, owner, x.ID); got == nil || got.Status != "SUCCEEDED" || got.RowCount == nil || *got.RowCount != demoLearners {
			t.Errorf("export = %+v, want SUCCEEDED with %d rows", got, demoLearners)
		}
	})
}

// TestRunRestartsRunning: a RUNNING export whose run died (progress half
// way, a stale file at its key) is written again from its first row; an
// EXPIRED or SUCCEEDED one is never run again.
func TestRunRestartsRunning(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		owner := e.signInDemo(t, "INSTRUCTOR")
		x := e.request(t, owner, "COURSE_LEARNERS_CSV", e.courseID(t, owner, demoCourse))
		key := keyOf(t, x.ID, x.Kind)
		e.put(t, key, "half a file")
		e.update(t, x.ID, func(u *ent.ExportUpdateOne) {
			u.SetStatus(entexport.StatusRUNNING).SetProgress(0.5).SetRowCount(3).SetTotalRows(6).SetObjectKey(key)
		})
		e.runJobs(t)
		got := e.export(t, owner, x.ID)
		if got == nil || got.Status != "SUCCEEDED" || got.RowCount == nil || *got.RowCount != demoLearners {
			t.Fatalf("export = %+v, want SUCCEEDED with all %d rows", got, demoLearners)
		}
		_, body := e.download(t, got)
		if records := readCSV(t, body); len(records) != demoLearners+1 {
			t.Errorf("the file has %d records, want %d", len(records), demoLearners+1)
		}

		// Finished exports stay as they are, file and all.
		for _, status := range []entexport.Status{entexport.StatusSUCCEEDED, entexport.StatusEXPIRED} {
			e.update(t, x.ID, func(u *ent.ExportUpdateOne) { u.SetStatus(status) })
			before := e.row(t, x.ID)
			e.put(t, key, "kept")
			if err := e.app.Export.Run(context.Background(), uuidOf(t, x.ID), true); err != nil {
				t.Fatal(err)
			}
			if after := e.row(t, x.ID); after.UpdatedAt != before.UpdatedAt || after.Status != status {
				t.Errorf("running a %s export again changed it: %+v", status, after)
			}
			if !e.exists(t, key) {
				t.Errorf("running a %s export again deleted its file", status)
			}
		}
		if msgs := e.mail.exportMessages(t); len(msgs) != 1 {
			t.Errorf("%d export emails sent, want 1", len(msgs))
		}
	})
}

// TestRunFinalFailure: a run whose time is up is retried while attempts
// remain; the last one leaves the export FAILED (PROCESSING_FAILED), with
// no file and no email.
func TestRunFinalFailure(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		owner := e.signInDemo(t, "INSTRUCTOR")
		x := e.request(t, owner, "COURSE_LEARNERS_CSV", e.courseID(t, owner, demoCourse))
		id := uuidOf(t, x.ID)
		key := keyOf(t, x.ID, x.Kind)
		e.update(t, x.ID, func(u *ent.ExportUpdateOne) { u.SetStatus(entexport.StatusRUNNING).SetObjectKey(key) })
		e.put(t, key, "a file an earlier attempt left")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := e.app.Export.Run(ctx, id, false); err == nil {
			t.Fatal("a run without time left succeeded")
		}
		if got := e.row(t, x.ID); got.Status != entexport.StatusRUNNING {
			t.Errorf("after a failed attempt with attempts left: %s, want RUNNING", got.Status)
		}
		if err := e.app.Export.Run(ctx, id, true); err != nil {
			t.Fatalf("the final attempt: %v, want nil (the failure is recorded)", err)
		}
		got := e.export(t, owner, x.ID)
		if got == nil || got.Status != "FAILED" || got.Error == nil || *got.Error != export.ErrorProcessingFailed || got.URL != nil {
			t.Errorf("export = %+v, want FAILED with PROCESSING_FAILED and no url", got)
		}
		if e.exists(t, key) {
			t.Error("the failed export's file is still there")
		}
		if row := e.row(t, x.ID); row.ObjectKey != nil || row.FinishedAt == nil {
			t.Errorf("failed row = %+v, want no object key and a finish time", row)
		}
		// A failed export is not run again.
		if err := e.app.Export.Run(context.Background(), id, false); err != nil || e.row(t, x.ID).Status != entexport.StatusFAILED {
			t.Errorf("running the failed export again: %v, status %s", err, e.row(t, x.ID).Status)
		}
		if e.exists(t, key) || len(e.mail.exportMessages(t)) != 0 || e.jobCount(t, "email", `"export_id":"`+id.String()+`"`) != 0 {
			t.Error("the failed export left a file or an email")
		}
	})
}

// TestRunAccessRevoked: an instructor removed from the course before the
// job ran gets a FAILED export (ACCESS_REVOKED) and no file.
func TestRunAccessRevoked(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		instructor := e.newAccount(t, "leaving", "INSTRUCTOR")
		c := e.db.Ent.Course.Query().Where(course.Slug(demoCourse)).OnlyX(sys())
		m := e.db.Ent.CourseMember.Create().SetCourseID(c.ID).SetUserID(instructor.ID).SetRole(coursemember.RoleINSTRUCTOR).SaveX(sys())
		x := e.request(t, instructor, "COURSE_LEARNERS_CSV", gid.New("Course", c.ID).String())
		e.db.Ent.CourseMember.DeleteOne(m).ExecX(sys())
		e.runJobs(t)
		got := e.export(t, instructor, x.ID)
		if got == nil || got.Status != "FAILED" || got.Error == nil || *got.Error != export.ErrorAccessRevoked || got.URL != nil {
			t.Errorf("export = %+v, want FAILED with ACCESS_REVOKED", got)
		}
		if len(e.objects(t)) != 0 || len(e.mail.exportMessages(t)) != 0 {
			t.Errorf("the refused export left files %v or emails", e.objects(t))
		}
	})
}

// TestProgress reads a course two rows a page: the export's progress and
// rowCount are recorded after every page, and the file is whole.
func TestProgress(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		owner := e.signInDemo(t, "INSTRUCTOR")
		x := e.request(t, owner, "COURSE_LEARNERS_CSV", e.courseID(t, owner, demoCourse))
		type seen struct {
			rows     int
			progress float64
		}
		var mu sync.Mutex
		var steps []seen
		e.app.Export.SetPageSize(2)
		e.app.Export.AfterProgress(func(id uuid.UUID) {
			row, err := e.db.Ent.Export.Get(sys(), id)
			if err != nil {
				return
			}
			mu.Lock()
			steps = append(steps, seen{*row.RowCount, row.Progress})
			mu.Unlock()
		})
		e.runJobs(t)
		want := []seen{{2, 2.0 / 6}, {4, 4.0 / 6}, {6, 1}}
		if !slices.Equal(steps, want) {
			t.Errorf("progress recorded = %v, want %v", steps, want)
		}
		got := e.export(t, owner, x.ID)
		_, body := e.download(t, got)
		if records := readCSV(t, body); len(records) != demoLearners+1 {
			t.Errorf("the file has %d records, want %d", len(records), demoLearners+1)
		}
	})
}

// TestActiveLimit sends eight requests of one user at once: three are
// QUEUED, the others RATE_LIMITED with retryAfterSeconds, and only three
// rows and jobs exist. Once one has finished, one more is taken.
func TestActiveLimit(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		owner := e.signInDemo(t, "INSTRUCTOR")
		courseID := e.courseID(t, owner, demoCourse)
		var reqs []*http.Request
		for i := range 8 {
			kind, course := "COURSE_LEARNERS_CSV", courseID
			if i%2 == 1 {
				kind, course = "MY_DATA_JSON", ""
			}
			reqs = append(reqs, owner.Request(t, requestDoc, requestVars(kind, course)))
		}
		queued, limited := 0, 0
		for _, r := range e.client.ServeAtOnce(t, reqs...) {
			switch {
			case len(r.Errors) == 0:
				var p requestPayload
				r.Field(t, "requestExport", &p)
				if p.Export == nil || p.Export.Status != "QUEUED" {
					t.Errorf("an accepted request = %s", r.Raw)
				}
				queued++
			case r.Errors[0].Extensions.Code == "RATE_LIMITED":
				if after, ok := r.ErrorExtension(t, 0, "retryAfterSeconds").(float64); !ok || after < 1 {
					t.Errorf("RATE_LIMITED without retryAfterSeconds: %s", r.Raw)
				}
				if !strings.Contains(string(r.Raw), `"requestExport":null`) && string(r.Data) != "null" {
					t.Errorf("a refused request answered data %s", r.Data)
				}
				limited++
			default:
				t.Errorf("unexpected answer %s", r.Raw)
			}
		}
		if queued != export.MaxActive || limited != 8-export.MaxActive {
			t.Errorf("%d queued and %d limited, want %d and %d", queued, limited, export.MaxActive, 8-export.MaxActive)
		}
		if n := testenv.RowCount(t, e.db.Ent.Export.Query()); n != export.MaxActive {
			t.Errorf("%d export rows, want %d", n, export.MaxActive)
		}
		if n := e.jobCount(t, "export", ""); n != export.MaxActive {
			t.Errorf("%d export jobs, want %d", n, export.MaxActive)
		}
		e.runJobs(t)
		e.request(t, owner, "MY_DATA_JSON", "")
	})
}
