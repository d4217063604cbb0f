package app

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"lectern/internal/auth"
	"lectern/internal/config"
	"lectern/internal/counter"
	"lectern/internal/database"
	"lectern/internal/export"
	"lectern/internal/jobs"
	"lectern/internal/mail"
)

// buildQueue sets a.Queue: the one given WithQueue, else a queue of its
// own, which works jobs only when built WithWorkers. It fails when the mail
// sender or River rejects its settings.
func (a *App) buildQueue(cfg config.Config, db *database.DB, logger *slog.Logger, o options) error {
	if o.queue != nil {
		a.Queue = o.queue
		return nil
	}
	var err error
	if !o.workers {
		a.Queue, err = jobs.New(db, jobs.Config{})
		return err
	}
	sender, err := newSender(cfg)
	if err != nil {
		return err
	}
	logger.Info("mail", slog.String("sender", fmt.Sprint(sender)))
	a.Sender = sender
	a.Queue, err = jobs.New(db, jobs.Config{
		Workers: a.workers(cfg, db, logger, o.now),
		Queues:  Queues(),
		PeriodicJobs: append([]*river.PeriodicJob{jobs.CleanupSchedule(), jobs.MediaSweepSchedule(), export.ExpirySchedule()},
			reconcileSchedule(cfg)...),
		Logger:      logger,
		RescueAfter: cfg.JobRescueAfter,
	})
	return err
}

// workers registers email delivery through a.Sender, the cleanup of
// expired credentials, counters and idempotent answers on the clock now
// (nil: time.Now), and
// media's jobs: image processing, object deletion and the media sweep;
// and the export jobs (files and their expiry). Export emails are composed
// by the export service, the others by a.Mailer (EmailComposer).
func (a *App) workers(cfg config.Config, db *database.DB, logger *slog.Logger, now func() time.Time) *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, jobs.NewEmailWorker(db, a.EmailComposer(), a.Sender, logger))
	janitor := auth.NewJanitor(db, cfg.SessionIdleTimeout, now)
	river.AddWorker(w, jobs.NewCleanupWorker(jobs.Cleaners{janitor, a.Idempotency}, logger))
	a.AddMediaWorkers(w)
	river.AddWorker(w, jobs.NewMediaSweepWorker(mediaJobs{a}, logger))
	a.AddExportWorkers(w, logger, cfg.JobRescueAfter)
	reconcile := jobs.NewReconcileWorker(counter.NewReconciler(db, a.Audit, logger, now), logger)
	river.AddWorker(w, jobs.Limit(reconcile, cfg.JobRescueAfter))
	return w
}

// reconcileSchedule is the periodic counter reconciliation, every
// RECONCILE_INTERVAL; none when that is 0. Its worker is registered
// either way, so a pass an administrator retries still runs.
func reconcileSchedule(cfg config.Config) []*river.PeriodicJob {
	if cfg.ReconcileInterval <= 0 {
		return nil
	}
	return []*river.PeriodicJob{jobs.ReconcileSchedule(cfg.ReconcileInterval)}
}

// newSender returns the mail sender: SMTP when cfg has SMTP_URL, otherwise
// (dev) .eml files under DATA_DIR/mail. It fails when the URL is invalid or
// the directory cannot be made.
func newSender(cfg config.Config) (mail.Sender, error) {
	if cfg.SMTPURL != "" {
		s, err := mail.NewSMTPSender(cfg.SMTPURL)
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		return s, nil
	}
	s, err := mail.NewFileSender(cfg.MailDir(), nil)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return s, nil
}
