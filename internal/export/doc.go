// Package export writes the files users ask for and wait on: a course's
// learners as CSV for its staff (COURSE_LEARNERS_CSV), and everything
// Lectern holds about a user as JSON for that user (MY_DATA_JSON).
//
// requestExport (Service.Request) checks who may have which file, holds a
// user to MaxActive exports waiting or running at once (counted under the
// user's row lock, so concurrent requests cannot overshoot), and inserts the
// export row and its job in one transaction. The job (Service.Run, kind
// "export") reads the rows in keyset pages and streams them through a pipe
// straight into the object store, never holding the file in memory; it
// moves the export's progress after every page, and marks it SUCCEEDED in
// the transaction that enqueues the email telling the requester, so that
// email goes once however often River runs the job.
//
// A job may run more than once (River delivers at least once): the object
// key is the export's own (exports/<id>.<ext>), so a rerun replaces the
// file rather than adding one; a SUCCEEDED, FAILED or EXPIRED export is
// never run again, and a RUNNING one starts again from its first row. The
// last failed attempt leaves it FAILED with a stable code and no file.
//
// The file is fetched through a signed URL that lives ten minutes
// (Service.URL), for the requester alone: export rows are visible to their
// requester only (ent/schema/visibility.go). A periodic job
// (Service.Expire) marks exports EXPIRED seven days after they succeeded
// and deletes their files, fails exports stuck waiting or running for a
// day, and deletes files under the export prefix that no export row points
// to (those of exports deleted with their user or course).
package export
