package password

import (
	"errors"
	"fmt"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// ErrInvalidParams is wrapped by NewHasher when parameters are outside the
// accepted range.
var ErrInvalidParams = errors.New("password: invalid argon2id parameters")

// The floors are OWASP's minimum argon2id configuration; anything weaker is
// refused for new hashes.
const (
	minMemory  = 19456
	minTime    = 2
	minThreads = 1
	minSaltLen = 16
	minKeyLen  = 32
)

// The ceilings bound the work any single verification can demand, and they
// apply to stored hashes too, so a tampered row in the database cannot make a
// login allocate gigabytes or spin for minutes.
const (
	maxMemory  = 1 << 20 // KiB, i.e. 1 GiB
	maxTime    = 100
	maxThreads = 64
	maxSaltLen = 64
	maxKeyLen  = 64
)

// DefaultParams returns OWASP's minimum argon2id configuration: 19 MiB of
// memory, two passes, one lane, a 16-byte salt and a 32-byte key.
func DefaultParams() Params {
	return Params{
		Memory:  minMemory,
		Time:    minTime,
		Threads: minThreads,
		SaltLen: minSaltLen,
		KeyLen:  minKeyLen,
	}
}

// validate reports every field outside the configuration bounds at once, so
// a misconfiguration is fixed in one round.
func (p Params) validate() error {
	return errors.Join(
		inRange("memory", p.Memory, minMemory, maxMemory),
		inRange("time", p.Time, minTime, maxTime),
		inRange("threads", p.Threads, minThreads, maxThreads),
		inRange("salt length", p.SaltLen, minSaltLen, maxSaltLen),
		inRange("key length", p.KeyLen, minKeyLen, maxKeyLen),
	)
}

// weakerThan reports whether any cost in p is below the one in want; a hash
// that misses on any axis is upgraded on the next successful login.
func (p Params) weakerThan(want Params) bool {
	return p.Memory < want.Memory ||
		p.Time < want.Time ||
		p.Threads < want.Threads ||
		p.SaltLen < want.SaltLen ||
		p.KeyLen < want.KeyLen
}

func inRange[T uint8 | uint32](name string, v, lo, hi T) error {
	if v < lo || v > hi {
		return fmt.Errorf("%s %d outside [%d, %d]", name, v, lo, hi)
	}
	return nil
}
