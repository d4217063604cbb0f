// Package media holds Lectern's files: uploads, their checks, the images
// made from them, who may download them, and their removal.
//
// The bytes never pass through the API. createUpload (CreateUpload)
// records what the caller says it will send (purpose, name, type, size,
// SHA-256), checks it against the purpose's rules and the caller's daily
// allowance, and answers with a signed, single-use PUT to a key the server
// chose. completeUpload (CompleteUpload) reads the object back and accepts
// it only when its size, digest and sniffed type are what was declared and
// allowed; anything else is REJECTED with a stable reason and the object
// deleted. Images are then processed by a job (Process): decoded under a
// pixel limit, stripped of metadata by re-encoding, and stored as public
// renditions whose keys name their content.
//
// An asset is read through the row that shows it: a published course's
// cover and a verified user's avatar are public, a lesson attachment is
// downloadable only by those who may read the lesson, through a signed URL
// that lives a few minutes. Objects are deleted by jobs enqueued in the
// transaction that drops their row, so a rolled-back delete keeps the file,
// and a periodic sweep removes uploads never completed and objects no row
// points to.
package media
