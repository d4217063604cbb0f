package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"lectern/internal/database"
	"lectern/internal/jobs"
)

// Readiness checks that the database answers and its schema (Lectern's
// and the job queue's) is current. Reasons are safe to show; details go to
// the log.
func Readiness(db *database.DB, logger *slog.Logger) Checker {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			logger.WarnContext(ctx, "readiness: database ping failed", slog.String("error", err.Error()))
			return errors.New("database unreachable")
		}
		pending, err := db.Pending(ctx)
		if err == nil {
			var queue []string
			queue, err = jobs.Pending(ctx, db)
			pending = append(pending, queue...)
		}
		if err != nil {
			logger.WarnContext(ctx, "readiness: reading migrations failed", slog.String("error", err.Error()))
			return errors.New("migration state unknown")
		}
		if len(pending) > 0 {
			return fmt.Errorf("%d migrations pending: %s", len(pending), strings.Join(pending, ", "))
		}
		return nil
	}
}
