// Package totp implements RFC 6238 time-based one-time passwords with the
// parameters every authenticator app supports: HMAC-SHA1, six digits and a
// 30-second period.
//
// Secrets are RFC 4648 base32 strings, the form authenticator apps take in a
// QR code or by hand. Verify is built for replay protection: it returns the
// time step a code belonged to, the caller stores it, and passes it back on
// the next attempt so no code is accepted twice.
package totp
