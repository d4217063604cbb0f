// Package auth is Lectern's identity service: accounts, email verification,
// password resets, browser sessions and session tokens, personal API
// tokens, TOTP multi-factor sign-in and recovery codes.
//
// It answers "who is calling". What a caller may then do is decided by
// internal/access and the policy in policy/.
//
// Every credential is a random secret of at least 256 bits (internal/auth/
// secret) stored only as its SHA-256; passwords are argon2id hashes
// (internal/auth/password). Attempts that guess at secrets are counted per
// account and per client address (internal/auth/throttle) before the guess
// is checked, so a caller over the limit learns nothing, even when the
// guess was right. Answers about accounts never reveal whether an address
// is registered: sign-up, failed sign-in and reset requests answer the same
// for taken and free addresses, and pay for a password hash either way.
//
// Writes that send email insert the email job in the same transaction
// (internal/jobs), so a rolled-back write sends nothing and a committed one
// is never lost. Security events are audit records (internal/audit).
package auth
