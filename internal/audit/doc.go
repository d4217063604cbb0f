// Package audit records security events (sign-ups, logins, MFA and
// credential changes, revocations, throttling) as AuditEvent rows, readable
// by administrators only, and logs each one as a structured line so the
// trail also reaches log storage.
//
// Where an event is recorded decides whether it survives a rollback: pass
// the transaction's client to record a change together with the change
// itself (a password change that rolls back was never audited as done),
// and the plain client for events that must stay even when the operation
// fails, such as a failed login.
//
// Details are limited to a short list of keys with short values, because
// an open map invites callers to log secrets (passwords, tokens, codes)
// that would then sit in the database and the logs forever.
package audit
