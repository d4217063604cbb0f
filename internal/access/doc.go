// Package access is where Lectern's authorization is decided or, for the
// row rules, named. A request meets it in this order:
//
//  1. Operations (operation.go, over policy/model.conf and policy.csv):
//     every root field is checked against the Casbin policy before it runs
//     (graph/handler.go's authorize): the caller's global role, an API
//     token's scopes, and whether the operation needs a session that
//     passed MFA. Deny by default.
//  2. Caller requirements (caller.go): what an operation needs of whoever
//     calls it beyond the policy — signed in (Caller), from a session
//     rather than an API token (SessionCaller, CredentialsListable), with
//     a verified address (VerifiedUser). The domain calls these first.
//  3. Course roles (course.go): who may edit, manage or take a course,
//     from the caller's course_members row (CourseRole) — never from
//     input — and the administrator role from an MFA session. Review
//     moderation (MayModerate) is here too.
//  4. Field rules (fields.go): the private fields of an account
//     (PrivateFieldsReadable) and the body of a lesson
//     (Authorizer.LessonBodyReadable), asked by the GraphQL field
//     resolvers.
//  5. Row rules (ent/schema/visibility.go): which rows exist for the
//     caller at all — drafts for their staff, enrolments and progress for
//     their learner, credentials for their owner, audit events for
//     elevated administrators, secrets in waiting for nobody. They are
//     installed on every ent client internal/database builds, so every
//     query, edge and count is filtered by the viewer in its context.
//
// Administrators act on other people's data only from a session that
// passed MFA (viewer.IsElevatedAdmin): a stolen password or an API token
// alone gets no more than any signed-in user.
//
// Privileged reads are explicit: code that must see rows the caller
// cannot reads through a system client, database.DB.System for the
// process's own work and the identity service, or database.Tx.System
// inside a transaction done on a caller's behalf, whose privilege ends
// with the transaction. privileged_test.go lists every use with its
// reason and fails when one appears that is not listed.
package access
