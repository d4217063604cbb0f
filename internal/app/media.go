package app

import (
	"context"
	"crypto/rand"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/media"
	"lectern/internal/storage"
)

// buildMedia sets a.Store (the one given WithStore, else the one cfg
// names) and the media service over it. It fails when the store cannot be
// opened.
func (a *App) buildMedia(cfg config.Config, db *database.DB, logger *slog.Logger, o options) error {
	a.Store = o.store
	if a.Store == nil {
		s, err := OpenStore(context.Background(), cfg, logger, o.now)
		if err != nil {
			return err
		}
		a.Store, a.ownStore = s, true
	}
	public := cfg.Storage.PublicBaseURL
	if public == "" {
		public = cfg.APIBaseURL + media.AssetRoute[:len(media.AssetRoute)-1]
	}
	a.Media = media.New(db, a.Store, a.Queue, media.Config{DailyBytes: cfg.Storage.DailyUploadBytes, PublicBaseURL: public}, o.now, logger)
	return nil
}

// OpenStore opens the object store cfg names. A file store signs its URLs
// with cfg's key; a Config built by hand without one (a test, a one-off
// command) gets a random key that lives as long as the process, which
// config.Load never allows outside dev.
func OpenStore(ctx context.Context, cfg config.Config, logger *slog.Logger, now func() time.Time) (*storage.Store, error) {
	key := cfg.Storage.SigningKey
	if len(key) == 0 && cfg.Storage.Driver == config.StorageFile {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	base := cfg.APIBaseURL
	if base == "" {
		base = "http://" + cfg.HTTPAddr
	}
	return storage.Open(ctx, cfg.Storage, storage.Options{SigningSecret: key, BaseURL: base, Now: now, Logger: logger})
}

// AddMediaWorkers registers on w the workers of the jobs media enqueues:
// image processing and object deletion. A test working the jobs itself
// uses it as the server does.
func (a *App) AddMediaWorkers(w *river.Workers) {
	river.AddWorker(w, jobs.NewProcessImageWorker(mediaJobs{a}))
	river.AddWorker(w, jobs.NewDeleteObjectsWorker(mediaJobs{a}))
}

// mediaJobs works media's jobs through a.Media and a.Store, which are
// built after the queue they enqueue on: River needs its workers first.
type mediaJobs struct{ a *App }

// ProcessImage makes an image's renditions (jobs.ImageProcessor).
func (m mediaJobs) ProcessImage(ctx context.Context, id uuid.UUID, final bool) error {
	return m.a.Media.Process(ctx, id, final)
}

// Cleanup runs the media sweep (jobs.Cleaner).
func (m mediaJobs) Cleanup(ctx context.Context) (map[string]int, error) {
	return m.a.Media.Cleanup(ctx)
}

// Delete deletes an object (jobs.ObjectDeleter).
func (m mediaJobs) Delete(ctx context.Context, key string) error { return m.a.Store.Delete(ctx, key) }
