// Package auth is Lectern's identity service: accounts, email verification,
// password resets, browser sessions and session tokens, personal API
// tokens, TOTP multi-factor sign-in and recovery codes.
//
// It answers "who is calling". What a caller may then do is decided by
// internal/access and the policy in policy/.
//
// Every credential is a random secret of at least 256 bits (internal/auth/
// secret) stored only as its SHA-256; passwords are argon2id hashes
// (internal/auth/password); TOTP secrets, which codes are checked against,
// are stored encrypted under the configured keys (internal/sealed,
// SealTOTPSecrets). Attempts that guess at secrets are counted per
// account and per client address (internal/auth/throttle) before the guess
// is checked, so a caller over the limit learns nothing, even when the
// guess was right. Password guesses are held tightly per account and
// client, and only loosely per account: an attacker cannot lock the owner
// out by failing on purpose. Answers about accounts never reveal whether an
// address is registered: sign-up, failed sign-in and reset requests answer
// the same for taken and free addresses, and do the same work to get there
// (the same password hashing, the same statements, the same email job), so
// their timing does not tell either.
//
// Writes that send email insert the email job in the same transaction
// (internal/jobs), so a rolled-back write sends nothing and a committed one
// is never lost. Security events are audit records (internal/audit).
package auth
