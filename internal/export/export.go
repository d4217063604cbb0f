package export

import (
	"log/slog"
	"time"

	"github.com/google/uuid"

	entexport "lectern/ent/export"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/mail"
	"lectern/internal/storage"
)

// The kinds of export, as the schema names them.
const (
	CourseLearnersCSV = entexport.KindCOURSE_LEARNERS_CSV
	MyDataJSON        = entexport.KindMY_DATA_JSON
)

// Why an export failed (its error_code, the schema's ExportError).
const (
	// ErrorAccessRevoked: when the job ran, the requester no longer
	// taught the course (nor was an administrator), or their account was
	// disabled.
	ErrorAccessRevoked = "ACCESS_REVOKED"
	// ErrorProcessingFailed: writing the file kept failing on the
	// server's side, or the export waited or ran for longer than StuckAfter.
	ErrorProcessingFailed = "PROCESSING_FAILED"
)

// Errors lists the failure codes in the order the schema shows them.
var Errors = []string{ErrorAccessRevoked, ErrorProcessingFailed}

// Limits and lifetimes.
const (
	// MaxActive is how many exports one user may have QUEUED or RUNNING
	// at once; one more is RATE_LIMITED.
	MaxActive = 3
	// RetryAfter is what a RATE_LIMITED request is told to wait: about
	// what a large export takes.
	RetryAfter = time.Minute
	// FileTTL is how long a finished export's file is kept.
	FileTTL = 7 * 24 * time.Hour
	// DownloadTTL is how long a signed download URL lives.
	DownloadTTL = 10 * time.Minute
	// StuckAfter is how long an export may wait or run without moving
	// before the expiry job fails it (its job died on a crash, say), so it
	// stops counting against MaxActive.
	StuckAfter = 24 * time.Hour
	// PageSize is how many rows the job reads per query, and so how often
	// (in rows) it records its progress.
	PageSize = 1000
)

// keyPrefix is where export files live in the object store.
const keyPrefix = "exports"

// Service runs exports. It is safe for concurrent use.
type Service struct {
	db       *database.DB
	store    *storage.Store
	queue    *jobs.Queue
	renderer *mail.Renderer
	now      func() time.Time
	log      *slog.Logger
	pageSize int
	// afterProgress, for tests, is told of each progress recorded.
	afterProgress func(id uuid.UUID)
}

// New returns a Service writing files to store, enqueuing its jobs on
// queue and rendering its emails with renderer; now defaults to time.Now,
// logger to one that discards.
func New(db *database.DB, store *storage.Store, queue *jobs.Queue, renderer *mail.Renderer, now func() time.Time, logger *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, store: store, queue: queue, renderer: renderer, now: now, log: logger, pageSize: PageSize}
}

// ObjectKey returns where the file of export id of kind is stored: one key
// per export, so a job that runs again replaces its file.
func ObjectKey(id uuid.UUID, kind entexport.Kind) string {
	return keyPrefix + "/" + id.String() + extension(kind)
}

func extension(kind entexport.Kind) string {
	if kind == MyDataJSON {
		return ".json"
	}
	return ".csv"
}

func contentType(kind entexport.Kind) string {
	if kind == MyDataJSON {
		return "application/json"
	}
	return "text/csv; charset=utf-8; header=present"
}
