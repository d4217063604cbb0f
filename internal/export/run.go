package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	entexport "lectern/ent/export"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/viewer"
)

// Errors that end a run without a file.
var (
	// errNotRunning: the export stopped being RUNNING while its file was
	// written (deleted with its user or course, finished by another run
	// of the same job).
	errNotRunning = errors.New("export: no longer running")
	// errAccessRevoked: the requester may no longer have the file.
	errAccessRevoked = errors.New("export: access revoked")
	// errStoreDone unblocks a page writer whose store stopped reading.
	errStoreDone = errors.New("export: the store stopped reading")
)

// bookkeepingTimeout bounds recording a failure once the job's own time
// is up.
const bookkeepingTimeout = 10 * time.Second

// A source writes one kind of file.
type source interface {
	// total counts the rows the file will hold, for progress.
	total(ctx context.Context) (int, error)
	// write streams the file to w, calling page with the rows written so
	// far after each page; it returns the rows written.
	write(ctx context.Context, w io.Writer, page func(rows int) error) (int, error)
}

// Run writes the file of export id (the job of kind "export"). A QUEUED
// export, or a RUNNING one whose earlier run died, is written from its
// first row; any other, or a missing one, is left alone, so a job run
// again is harmless. It returns nil once the export SUCCEEDED (and its
// email is queued) or FAILED for good: a requester who may no longer have
// the file fails it at once (ACCESS_REVOKED), other errors are returned
// for the job to retry, and on the final attempt fail it
// (PROCESSING_FAILED) and delete any file.
func (s *Service) Run(ctx context.Context, id uuid.UUID, final bool) error {
	ctx = viewer.SystemContext(ctx)
	e, err := s.db.Ent.Export.Get(ctx, id)
	switch {
	case ent.IsNotFound(err):
		return nil
	case err != nil:
		return s.retry(ctx, id, final, err)
	case e.Status != entexport.StatusQUEUED && e.Status != entexport.StatusRUNNING:
		return nil
	}
	err = s.run(ctx, e)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errNotRunning):
		return s.dropUnowned(ctx, e)
	case errors.Is(err, errAccessRevoked):
		return s.fail(ctx, e, ErrorAccessRevoked)
	}
	return s.retry(ctx, id, final, err)
}

// retry returns err for River to run the job again, or, on the final
// attempt, fails export id for good.
func (s *Service) retry(ctx context.Context, id uuid.UUID, final bool, err error) error {
	if !final {
		return fmt.Errorf("export %s: %w", id, err)
	}
	s.log.ErrorContext(ctx, "export: failed for good", slog.String("export", id.String()), slog.String("error", err.Error()))
	// The job's context may be what failed (its time is up).
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	e, gerr := s.db.Ent.Export.Get(bctx, id)
	if gerr != nil {
		if ent.IsNotFound(gerr) {
			return nil
		}
		return fmt.Errorf("export %s: %w (and reading it to fail it: %v)", id, err, gerr)
	}
	return s.fail(bctx, e, ErrorProcessingFailed)
}

// run starts e, writes its file and finishes it.
func (s *Service) run(ctx context.Context, e *ent.Export) error {
	src, err := s.source(ctx, e)
	if err != nil {
		return err
	}
	e, err = s.start(ctx, e, src)
	if err != nil {
		return err
	}
	rows, size, err := s.write(ctx, e, src)
	if err != nil {
		return err
	}
	return s.finish(ctx, e, rows, size)
}

// source returns the writer of e's file, checking that its requester may
// still have it.
func (s *Service) source(ctx context.Context, e *ent.Export) (source, error) {
	u, err := s.db.Ent.User.Get(ctx, e.UserID)
	if ent.IsNotFound(err) {
		return nil, errNotRunning
	}
	if err != nil {
		return nil, err
	}
	if u.DisabledAt != nil {
		return nil, errAccessRevoked
	}
	if e.Kind == MyDataJSON {
		return &myData{db: s.db.Ent, userID: u.ID, now: s.now, pageSize: s.pageSize}, nil
	}
	return s.learnersOf(ctx, e, u)
}

// start marks e RUNNING from its first row, with its file's key and the
// rows to come. It fails with errNotRunning when e finished meanwhile.
func (s *Service) start(ctx context.Context, e *ent.Export, src source) (*ent.Export, error) {
	total, err := src.total(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		tx.Touch()
		n, err := tx.Export.Update().Where(entexport.ID(e.ID), entexport.StatusIn(entexport.StatusQUEUED, entexport.StatusRUNNING)).
			SetStatus(entexport.StatusRUNNING).SetStartedAt(now).SetProgress(0).SetRowCount(0).SetTotalRows(total).
			SetObjectKey(ObjectKey(e.ID, e.Kind)).ClearByteSize().SetUpdatedAt(now).Save(ctx)
		if err == nil && n == 0 {
			err = errNotRunning
		}
		if err != nil {
			return err
		}
		e, err = tx.Export.Get(ctx, e.ID)
		return err
	})
	return e, err
}

// write streams e's file from src into the store through a pipe, so that
// no more than a page is ever held in memory, recording progress after
// each page. It returns the rows and bytes written. The store keeps
// nothing unless the whole file arrived.
func (s *Service) write(ctx context.Context, e *ent.Export, src source) (int, int64, error) {
	total := 0
	if e.TotalRows != nil {
		total = *e.TotalRows
	}
	pr, pw := io.Pipe()
	out := &countingWriter{w: pw}
	type result struct {
		rows int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		rows, err := src.write(ctx, out, func(rows int) error { return s.progress(ctx, e.ID, rows, total) })
		// nil closes the pipe with io.EOF: the file is complete.
		_ = pw.CloseWithError(err)
		done <- result{rows, err}
	}()
	putErr := s.store.Put(ctx, ObjectKey(e.ID, e.Kind), pr, contentType(e.Kind))
	// A store that failed before reading to the end would leave the
	// writer blocked on the pipe.
	_ = pr.CloseWithError(errStoreDone)
	r := <-done
	switch {
	case r.err != nil:
		return 0, 0, r.err
	case putErr != nil:
		return 0, 0, putErr
	}
	return r.rows, out.n, nil
}

// progress records that rows of total are written, while e is RUNNING; it
// fails with errNotRunning once it is not, which stops the file.
func (s *Service) progress(ctx context.Context, id uuid.UUID, rows, total int) error {
	p := 0.0
	if total > 0 {
		p = min(1, float64(rows)/float64(total))
	}
	n, err := s.db.Ent.Export.Update().Where(entexport.ID(id), entexport.StatusEQ(entexport.StatusRUNNING)).
		SetProgress(p).SetRowCount(rows).SetUpdatedAt(s.now().UTC()).Save(ctx)
	if err == nil && n == 0 {
		err = errNotRunning
	}
	if err == nil && s.afterProgress != nil {
		s.afterProgress(id)
	}
	return err
}

// finish marks e SUCCEEDED with its file and enqueues the email telling
// its requester, in one transaction: the email goes once, with the
// export that succeeded. An export no longer RUNNING (deleted meanwhile)
// keeps nothing.
func (s *Service) finish(ctx context.Context, e *ent.Export, rows int, size int64) error {
	now := s.now().UTC()
	err := s.db.Transact(ctx, func(tx *database.Tx) error {
		tx.Touch()
		n, err := tx.Export.Update().Where(entexport.ID(e.ID), entexport.StatusEQ(entexport.StatusRUNNING)).
			SetStatus(entexport.StatusSUCCEEDED).SetProgress(1).SetRowCount(rows).SetTotalRows(rows).SetByteSize(size).
			SetFinishedAt(now).SetExpiresAt(now.Add(FileTTL)).SetUpdatedAt(now).Save(ctx)
		if err == nil && n == 0 {
			err = errNotRunning
		}
		if err != nil {
			return err
		}
		_, err = s.queue.InsertTx(ctx, tx, jobs.EmailArgs{Template: jobs.TemplateExportReady, UserID: e.UserID, ExportID: e.ID, At: now}, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("finish export: %w", err)
	}
	return nil
}

// fail marks e FAILED with code, without a file, and deletes whatever a
// run stored. It runs on its own clock: the job's may be up.
func (s *Service) fail(ctx context.Context, e *ent.Export, code string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	now := s.now().UTC()
	err := s.db.Transact(ctx, func(tx *database.Tx) error {
		tx.Touch()
		_, err := tx.Export.Update().Where(entexport.ID(e.ID), entexport.StatusIn(entexport.StatusQUEUED, entexport.StatusRUNNING)).
			SetStatus(entexport.StatusFAILED).SetErrorCode(code).SetFinishedAt(now).
			ClearObjectKey().ClearByteSize().SetUpdatedAt(now).Save(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("fail export %s: %w", e.ID, err)
	}
	s.log.WarnContext(ctx, "export failed", slog.String("export", e.ID.String()), slog.String("code", code))
	s.deleteFile(ctx, ObjectKey(e.ID, e.Kind))
	return nil
}

// dropUnowned deletes e's file unless its row still holds it: a run that
// found its export gone (deleted with its user or course) or ended
// (FAILED, EXPIRED) leaves nothing behind, while one that lost the race
// to another run of the same job keeps the file that run recorded.
func (s *Service) dropUnowned(ctx context.Context, e *ent.Export) error {
	cur, err := s.db.Ent.Export.Get(ctx, e.ID)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("export %s: %w", e.ID, err)
	case cur.Status == entexport.StatusSUCCEEDED, cur.Status == entexport.StatusRUNNING:
		return nil
	}
	s.deleteFile(ctx, ObjectKey(e.ID, e.Kind))
	return nil
}

// deleteFile deletes key now; a failure is logged, and the expiry job's
// pass over files no export holds deletes it later.
func (s *Service) deleteFile(ctx context.Context, key string) {
	if err := s.store.Delete(ctx, key); err != nil {
		s.log.WarnContext(ctx, "export: file not deleted; the expiry job will", slog.String("key", key), slog.String("error", err.Error()))
	}
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
