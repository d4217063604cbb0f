package config

import "time"

// VarJobRescueAfter is how long a job may stay running before the queue
// takes it for abandoned and runs it again.
const VarJobRescueAfter = "JOB_RESCUE_AFTER"

// DefaultJobRescueAfter is JOB_RESCUE_AFTER when unset: River's own
// default, twice the longest timeout a job sets (an export's 30 minutes),
// so a job still working is never taken for abandoned.
const DefaultJobRescueAfter = time.Hour

const (
	minJobRescueAfter = time.Second
	maxJobRescueAfter = 7 * 24 * time.Hour
)

// jobRescueAfter reads JOB_RESCUE_AFTER: a duration from a second to a
// week. Zero is refused rather than read as the default: a job whose
// worker died must be run again some time.
func (l *loader) jobRescueAfter() time.Duration {
	return l.duration(VarJobRescueAfter, DefaultJobRescueAfter, minJobRescueAfter, maxJobRescueAfter)
}
