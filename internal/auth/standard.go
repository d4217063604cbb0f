package auth

import "context"

// HashPassword hashes a password for an account created outside sign-up
// (demo data). It fails only when the system's random source does, or
// when ctx ends first.
func (s *Service) HashPassword(ctx context.Context, pw string) (string, error) {
	return s.hasher.Hash(ctx, pw)
}
