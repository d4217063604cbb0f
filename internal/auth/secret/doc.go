// Package secret makes random bearer secrets (API tokens, session tokens,
// recovery codes) and the hashes under which they are stored.
//
// The plain value of a secret is shown to its owner once and then only ever
// travels in requests; the database keeps its SHA-256 hash and finds the row
// by that hash. A stolen database therefore yields nothing that can be
// presented as a credential.
//
// Tokens are a prefix such as "lct_pat_" followed by 52 characters of
// lowercase RFC 4648 base32 without padding, which carry 256 random bits.
// Base32 was chosen over base64url because the whole token is then a single
// word to double-click selection, survives case-insensitive handling and
// contains no characters that need escaping in headers or URLs. The prefix
// names the kind of token, which lets secret scanners recognise a leaked one
// and tells a reader which system issued it.
package secret
