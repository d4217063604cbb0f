// Package storage keeps uploaded files in an object store: a directory on
// the server (file://, the default) or an S3-compatible bucket (s3://),
// chosen by config.StorageConfig and reached through gocloud.dev/blob.
//
// Keys are made by the server (NewKey) and checked on every call
// (ValidateKey), so a client never names a path. Browsers move file bytes
// without passing them through the API: SignedPut hands out an upload URL
// bound to one key, content type and size, SignedGet a download URL with
// the Content-Disposition to answer with, both short-lived.
//
// On S3 those URLs are S3's own presigned URLs. The file store signs its
// URLs itself with HMAC-SHA256 under Options.SigningSecret and points them
// at Lectern's routes, which FileHandler serves and Verify checks.
//
// No write leaves a partial object visible: an object appears only once its
// whole body has been stored, and a write that fails or is cut off part-way
// leaves nothing behind but, on S3, an incomplete multipart upload that the
// bucket's lifecycle rule (AbortIncompleteMultipartUpload) should expire.
// On the file store, a crash mid-write can leave a "*.tmp" file next to
// where the object would have been; List skips such files and
// SweepIncomplete removes them.
package storage
