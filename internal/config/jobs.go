package config

import "time"

// VarReconcileInterval is how often the counter reconciliation runs.
const VarReconcileInterval = "RECONCILE_INTERVAL"

// DefaultReconcileInterval is RECONCILE_INTERVAL when unset: an hour
// bounds how long a counter a bug left wrong stays wrong, and a pass over
// a consistent catalogue is one read per 200 courses.
const DefaultReconcileInterval = time.Hour

const (
	minReconcileInterval = time.Minute
	maxReconcileInterval = 7 * 24 * time.Hour
)

// reconcileInterval reads RECONCILE_INTERVAL: 0 turns the reconciliation
// off, anything else must lie between a minute and a week.
func (l *loader) reconcileInterval() time.Duration {
	d := l.duration(VarReconcileInterval, DefaultReconcileInterval, 0, maxReconcileInterval)
	if d > 0 && d < minReconcileInterval && !l.rejected(VarReconcileInterval) {
		l.reject(VarReconcileInterval, "%q is shorter than %v; use 0 to turn reconciliation off",
			l.lookup(VarReconcileInterval), minReconcileInterval)
	}
	return d
}
