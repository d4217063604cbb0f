package media

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/singleflight"

	"lectern/ent"
	"lectern/ent/asset"
	"lectern/internal/apperr"
	"lectern/internal/auth/throttle"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/storage"
)

// Config is what the service takes from the configuration.
type Config struct {
	// DailyBytes caps the bytes one user may declare in uploads per day
	// (UPLOAD_DAILY_BYTES).
	DailyBytes int64
	// PublicBaseURL is where public renditions are read from, without a
	// trailing slash: a CDN or public bucket (ASSETS_PUBLIC_BASE_URL), or
	// this server's AssetRoute.
	PublicBaseURL string
}

// Service runs the upload flow and answers for assets. It is safe for
// concurrent use.
type Service struct {
	db      *database.DB
	store   *storage.Store
	queue   *jobs.Queue
	limiter *throttle.Limiter
	cfg     Config
	now     func() time.Time
	log     *slog.Logger
	// completing runs one check per upload at a time (CompleteUpload).
	completing singleflight.Group
}

// New returns a Service keeping files in store and enqueuing its jobs on
// queue; now defaults to time.Now, logger to one that discards.
func New(db *database.DB, store *storage.Store, queue *jobs.Queue, cfg Config, now func() time.Time, logger *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, store: store, queue: queue, limiter: throttle.New(db, now), cfg: cfg, now: now, log: logger}
}

// Lifetimes of the flow.
const (
	// uploadTTL is how long the signed PUT of an upload stays valid.
	uploadTTL = 15 * time.Minute
	// pendingTTL is how long an upload may stay uncompleted before the
	// sweep deletes it and whatever was uploaded.
	pendingTTL = 24 * time.Hour
	// downloadTTL is how long a signed download URL lives.
	downloadTTL = 10 * time.Minute
)

// uploadsPerHour bounds rows (a 1-byte upload costs a row like a 50 MB
// one); the daily bytes (dailyBytes) bound storage and bandwidth.
var uploadsPerHour = throttle.Rule{Name: "upload", Limit: 120, Window: time.Hour}

func (s *Service) dailyBytes() throttle.Rule {
	return throttle.Rule{Name: "upload-bytes", Limit: int(s.cfg.DailyBytes), Window: 24 * time.Hour}
}

// Key prefixes. Originals are private; renditions are public and named by
// their content.
const (
	uploadPrefix = "uploads"
	publicPrefix = "public"
)

// Claim returns the completed upload id of ownerID for purpose, locked
// for attaching in tx: NOT_FOUND (at field) when it is missing or
// someone else's, WRONG_PURPOSE for another purpose, UPLOAD_NOT_USABLE
// when it is not completed or was rejected or failed, ALREADY_ATTACHED
// when it went somewhere already. The caller attaches it in the same tx.
func (s *Service) Claim(ctx context.Context, tx *database.Tx, ownerID, id uuid.UUID, purpose asset.Purpose, field string) (*ent.Asset, error) {
	if err := s.lock(ctx, tx, id); err != nil {
		return nil, err
	}
	a, err := tx.Asset.Query().Where(asset.ID(id), asset.OwnerID(ownerID)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return nil, apperr.Problem(apperr.UserNotFound, "no such upload", field)
	case err != nil:
		return nil, err
	case a.Purpose != purpose:
		return nil, apperr.Problem(apperr.UserWrongPurpose, "the upload was made for "+string(a.Purpose)+", not "+string(purpose), field)
	case a.Status != asset.StatusPROCESSING && a.Status != asset.StatusREADY:
		return nil, apperr.Problem(apperr.UserUploadNotUsable, "the upload is not completed, or was rejected", field)
	}
	attached, err := attached(ctx, tx, a)
	if err != nil {
		return nil, err
	}
	if attached {
		return nil, apperr.Problem(apperr.UserAlreadyAttached, "the upload is already in use", field)
	}
	return a, nil
}

// lock holds asset id until tx ends, so two attaches of one upload take
// turns, and the sweep's delete waits for an attach and sees what it did.
// SQLite runs one write transaction at a time already.
func (s *Service) lock(ctx context.Context, tx *database.Tx, id uuid.UUID) error {
	if s.db.Dialect != database.Postgres {
		return nil
	}
	rows, err := tx.SQL.QueryContext(ctx, `SELECT id FROM assets WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return fmt.Errorf("lock asset: %w", err)
	}
	return rows.Close()
}

// attached reports whether a shows anywhere: as a cover, an avatar or a
// lesson's attachment.
func attached(ctx context.Context, tx *database.Tx, a *ent.Asset) (bool, error) {
	if a.AttachedAt != nil || a.LessonID != nil || a.CourseID != nil {
		return true, nil
	}
	return tx.Asset.Query().Where(asset.ID(a.ID), asset.Or(asset.HasCoverOf(), asset.HasAvatarOf())).Exist(ctx)
}

// Discard deletes the rows of assets in tx and enqueues the deletion of
// their objects, which runs only once tx has committed: a rolled-back
// delete keeps the files.
func (s *Service) Discard(ctx context.Context, tx *database.Tx, assets ...*ent.Asset) error {
	if len(assets) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(assets))
	for i, a := range assets {
		ids[i] = a.ID
	}
	if _, err := tx.Asset.Delete().Where(asset.IDIn(ids...)).Exec(ctx); err != nil {
		return err
	}
	return deleteObjects(ctx, tx, s.queue, assets)
}

// deleteObjects enqueues, in tx, the deletion of the objects of assets
// whose rows tx deletes.
func deleteObjects(ctx context.Context, tx *database.Tx, queue *jobs.Queue, assets []*ent.Asset) error {
	var keys []string
	for _, a := range assets {
		keys = append(keys, Keys(a)...)
	}
	if len(keys) == 0 {
		return nil
	}
	_, err := queue.InsertTx(ctx, tx, jobs.DeleteObjectsArgs{Keys: keys}, nil)
	return err
}

// Keys returns every object key a holds: the upload and its renditions.
func Keys(a *ent.Asset) []string {
	keys := []string{a.ObjectKey}
	for _, r := range a.Renditions {
		keys = append(keys, r.Key)
	}
	return keys
}
