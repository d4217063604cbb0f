package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"lectern/internal/apperr"
)

// River stores the text of every failed attempt in the job's row, and
// administrators read those rows through the API (Admin.List). A worker's
// error can hold internals (SQL, file paths, a mail server's reply naming
// an address), so the text stored is decided here, once for every kind:
// the failure middleware logs the whole error with the job's ID and
// attempt, and hands River only a message that is safe to show, marked as
// such, or a generic one. Text that reaches the row any other way (a
// panic, a job of an unknown kind, rows written before this) is unmarked,
// and is never shown.

// SafeMessager is an error whose SafeMessage may be shown to
// administrators as the reason a job failed. Error() may say more; only
// the log sees it.
type SafeMessager interface {
	error
	SafeMessage() string
}

// SafeError is an error with a message for administrators and a cause
// for the log.
type SafeError struct {
	Message string
	Err     error
}

// Safely returns err carrying message as what administrators are shown
// when a job fails with it. A nil err gives nil.
func Safely(message string, err error) error {
	if err == nil {
		return nil
	}
	return &SafeError{Message: message, Err: err}
}

// Error returns the message and the cause.
func (e *SafeError) Error() string { return e.Message + ": " + e.Err.Error() }

// SafeMessage returns the message.
func (e *SafeError) SafeMessage() string { return e.Message }

// Unwrap returns the cause.
func (e *SafeError) Unwrap() error { return e.Err }

// safeMessageOf returns the message err may show: a SafeMessager's, or the
// message of an apperr error with a code other than INTERNAL (messages are
// written for end users there). ok is false for anything else.
func safeMessageOf(err error) (msg string, ok bool) {
	if s, found := errors.AsType[SafeMessager](err); found {
		return s.SafeMessage(), true
	}
	if e, found := errors.AsType[*apperr.Error](err); found && e.Code != apperr.Internal {
		return e.Message, true
	}
	return "", false
}

const (
	// publicPrefix marks stored attempt text the failure middleware
	// wrote from a safe message; what follows it may be shown.
	publicPrefix = "public: "
	// withheld is the stored text of an error that had no safe message.
	withheld = "withheld: the error is in the log"
	// cancelPrefix is how River stores the text of a river.JobCancel error.
	cancelPrefix = "JobCancelError: "
)

// failureMiddleware logs each failed attempt in full and passes River a
// version of the error whose text may be stored and shown.
type failureMiddleware struct {
	river.MiddlewareDefaults
	logger *slog.Logger
}

// Work runs the job and rewrites its error, keeping what River decides on:
// a river.JobCancel error stays one (the job ends), a snooze passes as it
// is.
func (m *failureMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	err := doInner(ctx)
	if err == nil || errors.Is(err, &rivertype.JobSnoozeError{}) {
		return err
	}
	msg, safe := safeMessageOf(err)
	level := slog.LevelWarn
	if errors.Is(err, &rivertype.JobCancelError{}) || job.Attempt >= job.MaxAttempts {
		level = slog.LevelError // no retry will follow
	}
	m.logger.LogAttrs(ctx, level, "job failed", slog.Int64("job_id", job.ID), slog.String("kind", job.Kind),
		slog.Int("attempt", job.Attempt), slog.Int("max_attempts", job.MaxAttempts), slog.String("error", err.Error()))
	stored := errors.New(withheld)
	if safe {
		stored = errors.New(publicPrefix + msg)
	}
	if errors.Is(err, &rivertype.JobCancelError{}) {
		return river.JobCancel(stored)
	}
	return stored
}

// GenericFailure is what administrators are shown for an attempt whose
// error had no safe message.
const GenericFailure = "the job failed; see the logs"

// attemptMessage returns what administrators may see of a stored attempt
// error of job id: the safe message the failure middleware stored, a
// fixed sentence for River's own remote cancellation, and otherwise
// GenericFailure with the job and attempt to look for in the log.
func attemptMessage(jobID int64, e rivertype.AttemptError) string {
	text := strings.TrimPrefix(e.Error, cancelPrefix)
	if msg, ok := strings.CutPrefix(text, publicPrefix); ok {
		return msg
	}
	if text == rivertype.ErrJobCancelledRemotely.Error() {
		return "the job was cancelled while it ran"
	}
	return fmt.Sprintf("%s (job %d, attempt %d)", GenericFailure, jobID, e.Attempt)
}
