package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

var (
	// ErrMalformedHash is wrapped when a stored hash is not a well-formed
	// argon2id PHC string or its parameters are outside the accepted bounds.
	ErrMalformedHash = errors.New("password: malformed hash")
	// ErrUnsupportedHash is wrapped when a stored hash names an algorithm or
	// version other than argon2id v=19.
	ErrUnsupportedHash = errors.New("password: unsupported hash")
)

const (
	algorithm = "argon2id"
	// The longest string the bounds allow is about 210 bytes; refusing
	// anything longer up front keeps hostile input from costing allocations.
	maxEncodedLen = 256
)

// Stored hashes may predate the current configuration, so their floors are
// the argon2 specification's own rather than OWASP's; such hashes still
// verify and are flagged for rehash.
const (
	minStoredTime    = 1
	minStoredThreads = 1
	minStoredSaltLen = 8
	minStoredKeyLen  = 16
	// argon2 needs at least eight blocks of 1 KiB per lane.
	blocksPerLane = 8
)

type phc struct {
	params Params
	salt   []byte
	key    []byte
}

// ParamsOf returns the argon2id parameters recorded in an encoded hash. It
// returns an error wrapping ErrMalformedHash or ErrUnsupportedHash when the
// encoding is not one Verify would accept.
func ParamsOf(encoded string) (Params, error) {
	h, err := parsePHC(encoded)
	if err != nil {
		return Params{}, err
	}
	return h.params, nil
}

func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s",
		algorithm, argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key))
}

func parsePHC(encoded string) (phc, error) {
	if len(encoded) > maxEncodedLen {
		return phc{}, malformed("longer than %d bytes", maxEncodedLen)
	}
	fields := strings.Split(encoded, "$")
	if len(fields) < 2 || fields[0] != "" {
		return phc{}, malformed("not a PHC string")
	}
	// The algorithm is checked before the shape so that another scheme's
	// hash (bcrypt has four fields) is reported as unsupported, not garbled.
	if fields[1] != algorithm {
		return phc{}, fmt.Errorf("%w: algorithm %q", ErrUnsupportedHash, fields[1])
	}
	if len(fields) != 6 {
		return phc{}, malformed("want 5 '$'-separated fields, got %d", len(fields)-1)
	}
	if want := "v=" + strconv.Itoa(argon2.Version); fields[2] != want {
		return phc{}, fmt.Errorf("%w: version %q", ErrUnsupportedHash, fields[2])
	}
	return parseBody(fields[3], fields[4], fields[5])
}

func parseBody(cost, salt, key string) (phc, error) {
	p, err := parseCost(cost)
	if err != nil {
		return phc{}, err
	}
	s, err := decodeField("salt", salt, minStoredSaltLen, maxSaltLen)
	if err != nil {
		return phc{}, err
	}
	k, err := decodeField("key", key, minStoredKeyLen, maxKeyLen)
	if err != nil {
		return phc{}, err
	}
	p.SaltLen, p.KeyLen = uint32(len(s)), uint32(len(k))
	return phc{params: p, salt: s, key: k}, nil
}

// parseCost accepts exactly "m=<n>,t=<n>,p=<n>" in that order, with no
// optional keyid or data fields, so there is one encoding per parameter set.
func parseCost(s string) (Params, error) {
	kv := strings.Split(s, ",")
	if len(kv) != 3 {
		return Params{}, malformed("want m=,t=,p= parameters, got %q", s)
	}
	p, err := parseLanes(kv[2])
	if err != nil {
		return Params{}, err
	}
	m, err := parseBounded(kv[0], "m=", uint32(p)*blocksPerLane, maxMemory)
	if err != nil {
		return Params{}, err
	}
	t, err := parseBounded(kv[1], "t=", minStoredTime, maxTime)
	if err != nil {
		return Params{}, err
	}
	return Params{Memory: m, Time: t, Threads: p}, nil
}

func parseLanes(kv string) (uint8, error) {
	p, err := parseBounded(kv, "p=", minStoredThreads, maxThreads)
	return uint8(p), err
}

func parseBounded(kv, prefix string, lo, hi uint32) (uint32, error) {
	digits, ok := strings.CutPrefix(kv, prefix)
	if !ok {
		return 0, malformed("want %s, got %q", prefix, kv)
	}
	n, err := parseDecimal(digits)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %w", ErrMalformedHash, prefix, err)
	}
	if err := inRange(prefix, n, lo, hi); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	return n, nil
}

// parseDecimal is stricter than strconv: no sign, no leading zeros, no
// underscores, so a stored hash has a single canonical spelling.
func parseDecimal(s string) (uint32, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("non-canonical number %q", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("non-decimal number %q", s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("number: %w", err)
	}
	return uint32(n), nil
}

// decodeField checks the length before decoding so oversized input is never
// allocated, and rejects CR/LF because the base64 decoder silently skips them.
func decodeField(name, s string, lo, hi int) ([]byte, error) {
	if n := base64.RawStdEncoding.DecodedLen(len(s)); n < lo || n > hi {
		return nil, malformed("%s of %d bytes outside [%d, %d]", name, n, lo, hi)
	}
	if strings.ContainsAny(s, "\r\n") {
		return nil, malformed("%s contains a line break", name)
	}
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformedHash, name, err)
	}
	return b, nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformedHash, fmt.Sprintf(format, args...))
}
