package export_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/coursemember"
	"lectern/ent/user"
	"lectern/internal/export"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

// TestExpiry: seven days after it was written an export's URL is gone,
// and the expiry job (run by its worker) marks it EXPIRED and deletes its
// file; an export stuck QUEUED for a day is FAILED.
func TestExpiry(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		owner := e.signInDemo(t, "INSTRUCTOR")
		x := e.request(t, owner, "COURSE_LEARNERS_CSV", e.courseID(t, owner, demoCourse))
		e.runJobs(t)
		key := keyOf(t, x.ID, x.Kind)
		stuck := e.request(t, owner, "MY_DATA_JSON", "")
		// Its job is lost: River dropped it.
		if _, err := e.db.SQL.ExecContext(context.Background(), "DELETE FROM river_job WHERE kind = 'export'"); err != nil {
			t.Fatal(err)
		}

		e.clock.Advance(export.FileTTL - time.Second)
		e.insertJob(t, export.ExpireArgs{})
		e.runJobs(t)
		owner = e.signInDemo(t, "INSTRUCTOR") // a week on, the session has ended
		if got := e.export(t, owner, x.ID); got == nil || got.Status != "SUCCEEDED" || got.URL == nil || !e.exists(t, key) {
			t.Fatalf("a second before expiry: %+v, want SUCCEEDED with its file", got)
		}
		if got := e.export(t, owner, stuck.ID); got == nil || got.Status != "FAILED" || got.Error == nil || *got.Error != export.ErrorProcessingFailed {
			t.Errorf("an export stuck QUEUED for %v = %+v, want FAILED, PROCESSING_FAILED", export.StuckAfter, got)
		}

		e.clock.Advance(time.Second)
		if got := e.export(t, owner, x.ID); got == nil || got.URL != nil {
			t.Errorf("at expiry, before the job: %+v, want no url", got)
		}
		// The next period's pass (River keeps one per period).
		if _, err := e.db.SQL.ExecContext(context.Background(), "DELETE FROM river_job WHERE kind = 'export_expiry'"); err != nil {
			t.Fatal(err)
		}
		e.insertJob(t, export.ExpireArgs{})
		e.runJobs(t)
		got := e.export(t, owner, x.ID)
		if got == nil || got.Status != "EXPIRED" || got.URL != nil || got.ExpiresAt == nil || got.RowCount == nil {
			t.Errorf("after the expiry job: %+v, want EXPIRED without a url", got)
		}
		if e.exists(t, key) || len(e.objects(t)) != 0 {
			t.Errorf("files after expiry: %v, want none", e.objects(t))
		}
		// Again: nothing left to do.
		done, err := e.app.Export.Expire(context.Background())
		if err != nil || done["expired"]+done["stuck"]+done["orphan_files"] != 0 {
			t.Errorf("a second pass = %v, %v; want nothing done", done, err)
		}
	})
}

// TestExpiryDeletesOrphans: deleting an account or a course deletes its
// exports' rows with it (ON DELETE CASCADE); the expiry job then deletes
// their files, once they are an hour old.
func TestExpiryDeletesOrphans(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		// An account with nothing that would keep it (enrolments, reviews).
		fresh := e.newAccount(t, "short-lived", "INSTRUCTOR")
		mine := e.request(t, fresh, "MY_DATA_JSON", "")
		// A draft course with no learners, which its owner may delete.
		owner := e.signInDemo(t, "INSTRUCTOR")
		c := e.db.Ent.Course.Create().SetSlug("to-be-deleted").SetTitle("To be deleted").SetSummary("Soon gone.").SaveX(sys())
		e.db.Ent.CourseMember.Create().SetCourseID(c.ID).SetUserID(owner.ID).SetRole(coursemember.RoleOWNER).ExecX(sys())
		learners := e.request(t, owner, "COURSE_LEARNERS_CSV", gid.New("Course", c.ID).String())
		kept := e.request(t, owner, "COURSE_LEARNERS_CSV", e.courseID(t, owner, demoCourse))
		e.runJobs(t)
		all := []string{keyOf(t, mine.ID, mine.Kind), keyOf(t, learners.ID, learners.Kind), keyOf(t, kept.ID, kept.Kind)}
		slices.Sort(all)
		if got := e.objects(t); !slices.Equal(got, all) {
			t.Fatalf("files = %v, want %v", got, all)
		}

		if _, err := e.db.Ent.User.Delete().Where(user.ID(fresh.ID)).Exec(sys()); err != nil {
			t.Fatalf("delete the account: %v", err)
		}
		if _, err := e.db.Ent.Course.Delete().Where(course.ID(c.ID)).Exec(sys()); err != nil {
			t.Fatalf("delete the course: %v", err)
		}
		for _, id := range []string{mine.ID, learners.ID} {
			if _, err := e.db.Ent.Export.Get(sys(), uuidOf(t, id)); !ent.IsNotFound(err) {
				t.Errorf("export %s after its owner went: %v, want it deleted", id, err)
			}
		}
		// Files younger than an hour are left alone.
		done, err := e.app.Export.Expire(context.Background())
		if err != nil || done["orphan_files"] != 0 || len(e.objects(t)) != 3 {
			t.Errorf("a pass right after: %v, %v, files %v; want none deleted", done, err, e.objects(t))
		}
		e.clock.Advance(2 * time.Hour)
		owner = e.signInDemo(t, "INSTRUCTOR") // the session has been idle too long
		done, err = e.app.Export.Expire(context.Background())
		if err != nil || done["orphan_files"] != 2 {
			t.Errorf("a pass two hours later = %v, %v; want 2 orphan files deleted", done, err)
		}
		if got, want := e.objects(t), []string{keyOf(t, kept.ID, kept.Kind)}; !slices.Equal(got, want) {
			t.Errorf("files = %v, want only %v", got, want)
		}
		if got := e.export(t, owner, kept.ID); got == nil || got.Status != "SUCCEEDED" || got.URL == nil {
			t.Errorf("the export still held = %+v, want it SUCCEEDED with its url", got)
		}
	})
}
