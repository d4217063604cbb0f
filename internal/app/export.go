package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/export"
	"lectern/internal/jobs"
	"lectern/internal/mail"
)

// buildExport sets a.Export over a.Store and a.Queue, rendering its emails
// for cfg's public address and sender. It fails when they do not make a
// renderer, which config.Load rules out.
func (a *App) buildExport(cfg config.Config, db *database.DB, logger *slog.Logger, o options) error {
	r, err := mail.NewRenderer(cfg.PublicBaseURL, cfg.MailFrom)
	if err != nil {
		return err
	}
	a.Export = export.New(db, a.Store, a.Queue, r, o.now, logger)
	return nil
}

// Queues returns the queues a worker process serves: River's defaults
// (jobs.DefaultQueues) and the export queue, whose jobs hold a worker for
// as long as a file takes to write. A test working the jobs itself uses it
// as the server does.
func Queues() map[string]river.QueueConfig {
	q := jobs.DefaultQueues()
	q[export.Queue] = river.QueueConfig{MaxWorkers: export.QueueWorkers}
	return q
}

// AddExportWorkers registers on w the workers of the export jobs: writing
// files and their expiry, logging through logger. A file's attempt may
// take at most half of rescueAfter (JOB_RESCUE_AFTER; see jobs.Limit), so
// one a crash cut short is run again after that. A test working the jobs
// itself uses it as the server does.
func (a *App) AddExportWorkers(w *river.Workers, logger *slog.Logger, rescueAfter time.Duration) {
	river.AddWorker(w, jobs.Limit(export.NewWorker(exportJobs{a}), rescueAfter))
	river.AddWorker(w, export.NewExpireWorker(exportJobs{a}, logger))
}

// EmailComposer returns the composer of every email job: an export's
// notice through a.Export, account emails through a.Mailer.
func (a *App) EmailComposer() jobs.Composer { return emailComposer{a} }

type emailComposer struct{ a *App }

// Compose composes args's message (jobs.Composer).
func (c emailComposer) Compose(ctx context.Context, tx *database.Tx, args jobs.EmailArgs) (mail.Message, bool, error) {
	if args.Template == jobs.TemplateExportReady {
		return c.a.Export.Compose(ctx, tx, args)
	}
	return c.a.Mailer.Compose(ctx, tx, args)
}

// exportJobs works the export jobs through a.Export, which is built after
// the queue it enqueues on: River needs its workers first.
type exportJobs struct{ a *App }

// Run writes an export's file (export.Jobs).
func (e exportJobs) Run(ctx context.Context, id uuid.UUID, final bool) error {
	return e.a.Export.Run(ctx, id, final)
}

// Expire runs a pass of the export expiry job (export.Jobs).
func (e exportJobs) Expire(ctx context.Context) (map[string]int, error) {
	return e.a.Export.Expire(ctx)
}
