package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
)

// QueueMedia is the queue image processing runs in: each job decodes a
// whole image, so few run at once whatever else is queued.
const QueueMedia = "media"

// ProcessImageArgs asks for the renditions of one completed image upload.
type ProcessImageArgs struct {
	AssetID uuid.UUID `json:"asset_id"`
}

// Kind returns "process_image".
func (ProcessImageArgs) Kind() string { return "process_image" }

// InsertOpts runs images in QueueMedia, five attempts.
func (ProcessImageArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMedia, MaxAttempts: 5}
}

// ImageProcessor makes an asset's renditions. final says this is the last
// attempt: a failure then must leave the asset FAILED rather than waiting
// for a retry that will not come. Processing an asset that is not waiting
// for it does nothing, so a repeated job is harmless.
type ImageProcessor interface {
	ProcessImage(ctx context.Context, assetID uuid.UUID, final bool) error
}

// ProcessImageWorker runs an ImageProcessor. Rerunning a job is safe:
// processing does nothing unless the asset is still PROCESSING, and
// renditions are stored under keys made from their bytes, so an attempt
// that follows one cut short after storing them overwrites the same
// objects instead of adding copies (the media sweep removes any orphan).
type ProcessImageWorker struct {
	river.WorkerDefaults[ProcessImageArgs]
	p ImageProcessor
}

// NewProcessImageWorker returns a worker running p.
func NewProcessImageWorker(p ImageProcessor) *ProcessImageWorker {
	return &ProcessImageWorker{p: p}
}

// Timeout bounds one image: decoding and encoding a 40-megapixel image
// takes seconds, not minutes.
func (w *ProcessImageWorker) Timeout(*river.Job[ProcessImageArgs]) time.Duration {
	return 2 * time.Minute
}

// Work processes the image; an error is retried with backoff.
func (w *ProcessImageWorker) Work(ctx context.Context, job *river.Job[ProcessImageArgs]) error {
	return w.p.ProcessImage(ctx, job.Args.AssetID, job.Attempt >= job.MaxAttempts)
}

// DeleteObjectsArgs asks for objects to be deleted from the object store.
// It is enqueued in the transaction that drops the rows pointing at them,
// so the files go only once that has committed.
type DeleteObjectsArgs struct {
	Keys []string `json:"keys"`
}

// Kind returns "delete_objects".
func (DeleteObjectsArgs) Kind() string { return "delete_objects" }

// InsertOpts gives a store that is down about a day (River's backoff)
// before the job is dropped; the sweep removes what is left after that.
func (DeleteObjectsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10}
}

// ObjectDeleter deletes objects; deleting a missing object succeeds, so a
// repeated job is harmless.
type ObjectDeleter interface {
	Delete(ctx context.Context, key string) error
}

// DeleteObjectsWorker deletes the objects of its jobs. Rerunning a job is
// safe: deleting an object that is gone succeeds, and the rows that
// pointed at them were deleted before the job was committed.
type DeleteObjectsWorker struct {
	river.WorkerDefaults[DeleteObjectsArgs]
	store ObjectDeleter
}

// NewDeleteObjectsWorker returns a worker deleting from store.
func NewDeleteObjectsWorker(store ObjectDeleter) *DeleteObjectsWorker {
	return &DeleteObjectsWorker{store: store}
}

// Work deletes every key; a failure retries the whole job.
func (w *DeleteObjectsWorker) Work(ctx context.Context, job *river.Job[DeleteObjectsArgs]) error {
	for _, k := range job.Args.Keys {
		if err := w.store.Delete(ctx, k); err != nil {
			return fmt.Errorf("delete objects: %w", err)
		}
	}
	return nil
}

// MediaSweepEvery is how often uploads never completed and objects no
// row points to are looked for.
const MediaSweepEvery = time.Hour

// MediaSweepArgs asks for one pass of the media sweep.
type MediaSweepArgs struct{}

// Kind returns "media_sweep".
func (MediaSweepArgs) Kind() string { return "media_sweep" }

// InsertOpts keeps at most one sweep waiting.
func (MediaSweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: MediaSweepEvery}}
}

// MediaSweepWorker runs a Cleaner that sweeps media. Rerunning a pass is
// safe: an upload's row goes in the transaction that queues the deletion
// of its objects, so a second pass finds neither, and objects no row
// points to are deleted idempotently.
type MediaSweepWorker = sweepWorker[MediaSweepArgs]

// NewMediaSweepWorker returns a worker running c; a nil logger means
// slog.Default().
func NewMediaSweepWorker(c Cleaner, logger *slog.Logger) *MediaSweepWorker {
	return newSweepWorker[MediaSweepArgs](c, logger, "media sweep")
}

// MediaSweepSchedule enqueues a media sweep every MediaSweepEvery, and
// once at start.
func MediaSweepSchedule() *river.PeriodicJob { return every(MediaSweepEvery, MediaSweepArgs{}) }
