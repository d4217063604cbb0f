// Package throttle counts attempts at sensitive actions (failed logins,
// sign-ups, password-reset requests…) in fixed windows stored in the
// database, so every Lectern process behind a load balancer sees the same
// counts and a restart forgets nothing.
//
// A bucket is one row of throttle_buckets per rule and subject. Its key is
// the rule name, a colon and the hex of the first 16 bytes of the subject's
// SHA-256, so the table never holds a raw email or client address. The
// hash is of the exact bytes given: normalise subjects first (lower-case
// emails, canonical IP text) or "Bob@x" and "bob@x" count separately.
// Changing the key format resets every counter, so it is part of the
// package's contract.
//
// Hit counts in one INSERT … ON CONFLICT … RETURNING statement, which
// both databases run atomically, so concurrent attempts can never be
// allowed past the limit. It deliberately runs on its own connection,
// outside any transaction of the caller, so an attempt is counted even when
// the operation that made it rolls back. On SQLite a transaction holds the
// database's only write lock from its start, so call Hit, Undo, Clear and
// Prune before opening a transaction or after it ends, never inside one: the
// call would wait on the transaction that is waiting on it until the busy
// timeout fails it.
package throttle
