// Package cache answers anonymous GraphQL queries from memory and never
// shows a page older than the last acknowledged write.
//
// # What is cached
//
// A POST to /v1/graphql with no Authorization header, no session cookie
// and no signed-in viewer, whose operation is a query answered without
// errors (graph calls Cacheable). The key is a SHA-256 of the API version
// (the /v1 endpoint, the schema's fingerprint and the build) and the
// request body exactly as sent: document, operation name, variables and
// extensions. A signed-in request, a mutation, an error or a response that
// read anything but public rows (Refuse) is never stored, so no caller is
// ever served another's answer.
//
// Entries live in process memory (otter, bounded by bytes) in front of a
// shared Redis cache when REDIS_URL is set, and expire after CACHE_TTL as
// a backstop.
//
// # Tags
//
// While a response is computed, every row it reads tags it (Intercept):
// course:ID for a course and everything that belongs to one (sections,
// lessons, FAQ, reviews, staff, tag links), user:ID for a profile, tag:ID
// for a tag. A read whose membership the tags of its rows do not decide (a
// catalogue page, a search, a count, a lookup that found nothing) also
// tags it "catalogue", unless its caller marked it Keyed because the
// caller tracks what the read depends on.
//
// Every committed write to a public table publishes the tags its writer
// declared (database.Tx.Touch) plus "catalogue"; a write declared as
// changing nothing public (Touch with no tags) publishes nothing, and one
// that declared nothing at all publishes "*", which drops every entry (see
// Written). Nothing is published for a rolled-back write.
//
// # Never stale
//
// Invalidation is versioned, never a race: each instance counts the
// invalidations it has applied (a generation) and remembers, per tag, the
// generation that last dropped it. A fill notes the generation before it
// reads the database and is kept only while none of its tags has been
// dropped since, so a write that commits while a response is being
// computed can never leave that response behind. Redis keeps the same
// bookkeeping for the shared entries (a global generation, one key per
// dropped tag, checked atomically by Lua scripts).
//
// Other instances learn of a write through Redis pub/sub, or PostgreSQL
// LISTEN/NOTIFY when there is no Redis (in-process only on SQLite). While
// an instance is not subscribed (Redis or the listener is down) it serves
// from the database only, and it drops its whole memory cache when the
// subscription is back, since it may have missed invalidations. A failed
// publication is retried until it succeeds.
package cache
