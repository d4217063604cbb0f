// Package password hashes passwords with argon2id and decides whether a
// chosen password is acceptable, following OWASP ASVS level 2.
//
// Passwords are used exactly as the user typed them: any Unicode is allowed,
// nothing is trimmed and nothing is truncated. The one transformation is
// Unicode NFC normalisation, applied both when hashing and when checking
// length, so that a password typed as a precomposed "é" on one keyboard and
// as "e" plus a combining accent on another is the same password.
package password
