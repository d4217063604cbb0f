package auth

// HashPassword hashes a password for an account created outside sign-up
// (demo data). It fails only when the system's random source does.
func (s *Service) HashPassword(pw string) (string, error) { return s.hasher.Hash(pw) }
