package password

import (
	"context"
	"errors"
	"strings"
	"testing"
)

const (
	zeroSalt16 = "AAAAAAAAAAAAAAAAAAAAAA"                      // 16 bytes
	zeroKey32  = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" // 32 bytes
)

func withCost(cost string) string {
	return "$argon2id$v=19$" + cost + "$" + zeroSalt16 + "$" + zeroKey32
}

func TestMalformedEncodingsRejected(t *testing.T) {
	huge := withCost("m=4294967295,t=4294967295,p=255") + strings.Repeat("A", 1<<20)
	tests := []struct {
		name    string
		encoded string
		want    error
	}{
		{"empty", "", ErrMalformedHash},
		{"not phc", "hunter2", ErrMalformedHash},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", ErrUnsupportedHash},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + zeroSalt16 + "$" + zeroKey32, ErrUnsupportedHash},
		{"argon2d", "$argon2d$v=19$m=19456,t=2,p=1$" + zeroSalt16 + "$" + zeroKey32, ErrUnsupportedHash},
		{"uppercase algorithm", "$ARGON2ID$v=19$m=19456,t=2,p=1$" + zeroSalt16 + "$" + zeroKey32, ErrUnsupportedHash},
		{"version 16", "$argon2id$v=16$m=19456,t=2,p=1$" + zeroSalt16 + "$" + zeroKey32, ErrUnsupportedHash},
		{"version missing", "$argon2id$m=19456,t=2,p=1$" + zeroSalt16 + "$" + zeroKey32, ErrMalformedHash},
		{"leading space", " " + withCost("m=19456,t=2,p=1"), ErrMalformedHash},
		{"trailing newline", withCost("m=19456,t=2,p=1") + "\n", ErrMalformedHash},
		{"trailing dollar", withCost("m=19456,t=2,p=1") + "$", ErrMalformedHash},
		{"key missing", "$argon2id$v=19$m=19456,t=2,p=1$" + zeroSalt16, ErrMalformedHash},
		{"memory 4294967295", withCost("m=4294967295,t=2,p=1"), ErrMalformedHash},
		{"memory overflows uint32", withCost("m=4294967296,t=2,p=1"), ErrMalformedHash},
		{"memory 2 GiB", withCost("m=2097152,t=2,p=1"), ErrMalformedHash},
		{"memory below 8 blocks per lane", withCost("m=15,t=2,p=2"), ErrMalformedHash},
		{"time 0", withCost("m=19456,t=0,p=1"), ErrMalformedHash},
		{"time 101", withCost("m=19456,t=101,p=1"), ErrMalformedHash},
		{"time 4294967295", withCost("m=19456,t=4294967295,p=1"), ErrMalformedHash},
		{"threads 0", withCost("m=19456,t=2,p=0"), ErrMalformedHash},
		{"threads 65", withCost("m=19456,t=2,p=65"), ErrMalformedHash},
		{"threads 256", withCost("m=19456,t=2,p=256"), ErrMalformedHash},
		{"leading zero", withCost("m=019456,t=2,p=1"), ErrMalformedHash},
		{"plus sign", withCost("m=+19456,t=2,p=1"), ErrMalformedHash},
		{"negative", withCost("m=-1,t=2,p=1"), ErrMalformedHash},
		{"underscore", withCost("m=19_456,t=2,p=1"), ErrMalformedHash},
		{"empty number", withCost("m=,t=2,p=1"), ErrMalformedHash},
		{"reordered", withCost("t=2,m=19456,p=1"), ErrMalformedHash},
		{"extra keyid", withCost("m=19456,t=2,p=1,keyid=x"), ErrMalformedHash},
		{"missing p", withCost("m=19456,t=2"), ErrMalformedHash},
		{"spaces in cost", withCost("m=19456, t=2, p=1"), ErrMalformedHash},
		{"padded salt", "$argon2id$v=19$m=19456,t=2,p=1$" + zeroSalt16 + "==$" + zeroKey32, ErrMalformedHash},
		{"non-canonical salt bits", "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAB$" + zeroKey32, ErrMalformedHash},
		{"url-safe alphabet", "$argon2id$v=19$m=19456,t=2,p=1$" + zeroSalt16 + "$" + strings.Repeat("_", 43), ErrMalformedHash},
		{"line break in salt", "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAA\nAAAAAAAAAAA$" + zeroKey32, ErrMalformedHash},
		{"salt 4 bytes", "$argon2id$v=19$m=19456,t=2,p=1$AAAAAA$" + zeroKey32, ErrMalformedHash},
		{"empty salt", "$argon2id$v=19$m=19456,t=2,p=1$$" + zeroKey32, ErrMalformedHash},
		{"key 8 bytes", "$argon2id$v=19$m=19456,t=2,p=1$" + zeroSalt16 + "$AAAAAAAAAAA", ErrMalformedHash},
		{"key 65 bytes", "$argon2id$v=19$m=19456,t=2,p=1$" + zeroSalt16 + "$" + strings.Repeat("A", 87), ErrMalformedHash},
		{"1 MiB hostile string", huge, ErrMalformedHash},
	}
	h := newDefaultHasher(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				ok, rehash bool
				err        error
			)
			// A rejected hash must not have reached argon2, whose smallest
			// allocation here would be megabytes.
			const budget = 64 << 10
			if n := bytesAllocated(func() { ok, rehash, err = h.Verify(context.Background(), "password", tt.encoded) }); n > budget {
				t.Fatalf("Verify allocated %d bytes before rejecting, budget %d", n, budget)
			}
			if !errors.Is(err, tt.want) || ok || rehash {
				t.Fatalf("Verify = %v, %v, %v; want false, false, error wrapping %v", ok, rehash, err, tt.want)
			}
			if p, err := ParamsOf(tt.encoded); !errors.Is(err, tt.want) || p != (Params{}) {
				t.Fatalf("ParamsOf = %+v, %v; want zero, error wrapping %v", p, err, tt.want)
			}
		})
	}
}

func TestParamsOfBounds(t *testing.T) {
	tests := []struct {
		name    string
		encoded string
		want    Params
	}{
		{"default", withCost("m=19456,t=2,p=1"), DefaultParams()},
		{"upper bounds", withCost("m=1048576,t=100,p=64"), Params{Memory: 1 << 20, Time: 100, Threads: 64, SaltLen: 16, KeyLen: 32}},
		{"legacy lower bounds", "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 8, KeyLen: 16}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParamsOf(tt.encoded)
			if err != nil || got != tt.want {
				t.Fatalf("ParamsOf(%q) = %+v, %v; want %+v", tt.encoded, got, err, tt.want)
			}
		})
	}
}
