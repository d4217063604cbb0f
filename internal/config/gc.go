package config

import (
	"math"
	"strconv"
	"strings"
)

// GC budget variables. They are the Go runtime's own, which it reads at
// start; Load validates them, so a typo fails the start instead of being
// ignored, and gives Lectern's defaults where they are unset.
const (
	VarGOGC       = "GOGC"
	VarGOMEMLIMIT = "GOMEMLIMIT"
)

// DefaultGCPercent is Lectern's GOGC when none is set. A request allocates
// far more than it keeps, so the live heap is small and the runtime's 100
// collects several times for each request in flight; at 200 the load
// benchmark served 10–25% more requests for about 20 MB more memory. A
// memory limit (GOMEMLIMIT) makes collection eager again near the limit.
const DefaultGCPercent = 200

// GCBudget is the garbage collector's budget.
type GCBudget struct {
	// Percent is GOGC: the heap grows by this share of the live heap
	// before a collection; negative turns collection off (GOGC=off).
	Percent int
	// MemoryLimit is GOMEMLIMIT in bytes, a soft limit on the memory the
	// runtime uses; math.MaxInt64 (GOMEMLIMIT=off or unset) is none.
	MemoryLimit int64
}

func (l *loader) gcBudget() GCBudget {
	b := GCBudget{Percent: DefaultGCPercent, MemoryLimit: math.MaxInt64}
	switch v := l.lookup(VarGOGC); strings.ToLower(v) {
	case "":
	case "off":
		b.Percent = -1
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			l.reject(VarGOGC, "%q is not a percentage (a whole number ≥ 0) or off", v)
		} else {
			b.Percent = n
		}
	}
	if v := l.lookup(VarGOMEMLIMIT); v != "" && !strings.EqualFold(v, "off") {
		n, ok := parseBytes(v)
		if !ok {
			l.reject(VarGOMEMLIMIT, "%q is not a size such as 512MiB or 2GiB (units B, KiB, MiB, GiB, TiB)", v)
		} else {
			b.MemoryLimit = n
		}
	}
	return b
}

// parseBytes reads a size in the runtime's GOMEMLIMIT syntax: a whole
// number of bytes with an optional unit B, KiB, MiB, GiB or TiB.
func parseBytes(v string) (int64, bool) {
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	shift := uint(0)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(v, u.suffix); ok {
			v, shift = rest, u.shift
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64>>shift {
		return 0, false
	}
	return n << shift, true
}
