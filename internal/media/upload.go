package media

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/asset"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/storage"
	"lectern/internal/viewer"
)

// UploadInput is what a caller declares about a file it is about to send.
type UploadInput struct {
	Purpose        asset.Purpose
	Filename       string
	ContentType    string
	ByteSize       int64
	ChecksumSHA256 string
}

// Upload is a created upload: the asset row it will become, and the
// request that sends its bytes.
type Upload struct {
	ID      uuid.UUID
	Request storage.SignedRequest
}

// Why completeUpload refuses a file (Asset.rejectionReason).
const (
	// RejectNotUploaded: the upload URL expired with nothing sent.
	RejectNotUploaded = "NOT_UPLOADED"
	// RejectSizeMismatch: the stored file is not the declared size.
	RejectSizeMismatch = "SIZE_MISMATCH"
	// RejectChecksumMismatch: its SHA-256 is not the declared one.
	RejectChecksumMismatch = "CHECKSUM_MISMATCH"
	// RejectContentTypeNotAllowed: its first bytes show a type the
	// purpose does not take (an SVG, HTML page or ZIP as an image).
	RejectContentTypeNotAllowed = "CONTENT_TYPE_NOT_ALLOWED"
	// RejectContentTypeMismatch: an allowed type, but not the declared
	// one.
	RejectContentTypeMismatch = "CONTENT_TYPE_MISMATCH"
)

// RejectionReasons lists the reasons in the order the schema shows them.
var RejectionReasons = []string{RejectNotUploaded, RejectSizeMismatch, RejectChecksumMismatch,
	RejectContentTypeNotAllowed, RejectContentTypeMismatch}

// CreateUpload checks the declaration against the purpose's rules and the
// caller's allowances and returns where to PUT the file. The key is the
// server's; the filename is kept only to offer it back on download.
func (s *Service) CreateUpload(ctx context.Context, in UploadInput) (Upload, error) {
	v, err := access.VerifiedUser(ctx, s.db.Ent)
	if err != nil {
		return Upload{}, err
	}
	r, ok := purposes[in.Purpose]
	if !ok {
		return Upload{}, apperr.Problem(apperr.UserInvalid, "unknown purpose", "purpose")
	}
	if !slices.Contains(r.roles, v.Role) {
		return Upload{}, apperr.New(apperr.Forbidden, "only instructors may upload files for courses")
	}
	contentType, checksum, err := in.check(r)
	if err != nil {
		return Upload{}, err
	}
	subject := v.UserID.String()
	if err := s.limiter.Hit(ctx, uploadsPerHour, subject); err != nil {
		return Upload{}, err
	}
	if err := s.limiter.Take(ctx, s.dailyBytes(), subject, int(in.ByteSize)); err != nil {
		return Upload{}, err
	}
	now := s.now().UTC()
	key := storage.NewKey(uploadPrefix)
	req, err := s.store.SignedPut(ctx, key, contentType, in.ByteSize, uploadTTL)
	if err == nil {
		var a *ent.Asset
		err = s.db.Transact(ctx, func(tx *database.Tx) error {
			// A pending upload shows nowhere public.
			tx.Touch()
			a, err = tx.Asset.Create().SetOwnerID(v.UserID).SetPurpose(in.Purpose).
				SetFilename(in.Filename).SetDeclaredType(contentType).SetContentType(contentType).
				SetByteSize(in.ByteSize).SetChecksumSha256(checksum).SetObjectKey(key).
				SetUploadExpiresAt(req.ExpiresAt).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
			return err
		})
		if err == nil {
			return Upload{ID: a.ID, Request: req}, nil
		}
	}
	// Nothing was created: the allowance is the caller's again.
	if gerr := s.limiter.Give(context.WithoutCancel(ctx), s.dailyBytes(), subject, int(in.ByteSize)); gerr != nil {
		s.log.WarnContext(ctx, "media: returning upload allowance", "err", gerr)
	}
	return Upload{}, fmt.Errorf("create upload: %w", err)
}

// maxFilenameRunes bounds a filename as most file systems do.
const maxFilenameRunes = 255

// check validates in for r, every problem at once, and returns the content
// type as signed (lower-case, parameters dropped) and the checksum as hex.
func (in UploadInput) check(r rules) (contentType, checksum string, err error) {
	var fields []apperr.FieldError
	add := func(code apperr.UserCode, msg, field string) {
		fields = append(fields, apperr.FieldError{Code: code, Field: []string{field}, Message: msg})
	}
	if msg := filenameProblem(in.Filename); msg != "" {
		add(apperr.UserInvalid, msg, "filename")
	}
	contentType, _, perr := mime.ParseMediaType(in.ContentType)
	switch {
	case len(in.ContentType) > 255 || perr != nil || !strings.Contains(contentType, "/"):
		add(apperr.UserInvalid, "not a media type such as image/png", "contentType")
	case !r.allows(contentType):
		add(apperr.UserContentTypeNotAllowed, "this purpose takes "+strings.Join(r.types, ", "), "contentType")
	}
	switch {
	case in.ByteSize < 1:
		add(apperr.UserInvalid, "the size must be at least one byte", "byteSize")
	case in.ByteSize > r.maxBytes:
		add(apperr.UserTooLarge, fmt.Sprintf("this purpose takes files of at most %d bytes", r.maxBytes), "byteSize")
	}
	checksum, ok := parseChecksum(in.ChecksumSHA256)
	if !ok {
		add(apperr.UserInvalid, "a SHA-256 digest as 64 hex digits or 44 base64 characters", "checksumSha256")
	}
	if len(fields) > 0 {
		return "", "", apperr.Invalid(fields...)
	}
	return contentType, checksum, nil
}

// filenameProblem says what is wrong with a filename, or "" when nothing
// is: it is only ever offered back on download, but a path, a control
// character or a direction override there is an attack on whoever saves
// it, so such names are refused rather than quietly changed.
func filenameProblem(name string) string {
	switch {
	case !utf8.ValidString(name):
		return "the filename is not valid UTF-8"
	case strings.TrimSpace(name) == "":
		return "the filename is empty"
	case utf8.RuneCountInString(name) > maxFilenameRunes:
		return fmt.Sprintf("the filename is longer than %d characters", maxFilenameRunes)
	case strings.ContainsAny(name, `/\`):
		return "the filename may not contain a path separator"
	case name == "." || name == "..":
		return "the filename may not be . or .."
	}
	for _, c := range name {
		if unicode.IsControl(c) || unicode.Is(unicode.Bidi_Control, c) || c == '\u2028' || c == '\u2029' {
			return "the filename may not contain control or text-direction characters"
		}
	}
	return ""
}

// parseChecksum accepts a SHA-256 digest as hex (either case) or as
// standard base64 (as S3's x-amz-checksum-sha256 spells it) and returns it
// as lower-case hex.
func parseChecksum(s string) (string, bool) {
	var sum []byte
	var err error
	switch len(s) {
	case 2 * sha256.Size:
		sum, err = hex.DecodeString(s)
	case base64.StdEncoding.EncodedLen(sha256.Size):
		sum, err = base64.StdEncoding.Strict().DecodeString(s)
	default:
		return "", false
	}
	if err != nil || len(sum) != sha256.Size {
		return "", false
	}
	return hex.EncodeToString(sum), true
}

// sniffBytes is how much of a file mimetype reads to decide its type.
const sniffBytes = 3072

// CompleteUpload checks the uploaded file against what was declared and
// accepts it (images go on to be processed) or rejects it for good. Only
// the uploader may complete; anyone else's upload is NOT_FOUND. Completing
// a completed upload returns it as it is.
func (s *Service) CompleteUpload(ctx context.Context, id uuid.UUID) (*ent.Asset, error) {
	v, err := access.VerifiedUser(ctx, s.db.Ent)
	if err != nil {
		return nil, err
	}
	a, err := s.own(ctx, v, id, "id")
	if err != nil || a.Status != asset.StatusPENDING {
		return a, err
	}
	// Calls for one upload at the same moment share one reading of the
	// file: a client repeating the call cannot make this instance read a
	// 50 MB object once per request. The reading goes on if the first
	// caller leaves, for the others.
	done, err, _ := s.completing.Do(a.ID.String(), func() (any, error) {
		return s.check(context.WithoutCancel(ctx), a)
	})
	if err != nil {
		return nil, err
	}
	return done.(*ent.Asset), nil
}

// check inspects a's file and records the verdict, deleting a rejected
// file.
func (s *Service) check(ctx context.Context, a *ent.Asset) (*ent.Asset, error) {
	verdict, sniffed, err := s.inspect(ctx, a)
	if err != nil {
		return nil, err
	}
	a, err = s.settle(ctx, a, verdict, sniffed)
	if err != nil {
		return nil, fmt.Errorf("complete upload: %w", err)
	}
	if a.Status == asset.StatusREJECTED {
		s.deleteNow(ctx, a.ObjectKey)
	}
	return a, nil
}

// own returns upload id of v: NOT_FOUND at field when it is missing or
// someone else's.
func (s *Service) own(ctx context.Context, v viewer.Viewer, id uuid.UUID, field string) (*ent.Asset, error) {
	a, err := s.db.Ent.Asset.Query().Where(asset.ID(id), asset.OwnerID(v.UserID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Problem(apperr.UserNotFound, "no such upload", field)
	}
	return a, err
}

// verdict is what inspect found: "" to accept, a Reject… reason, or
// notYet for a file still to come.
type verdict string

const notYet verdict = "not yet"

// inspect reads a's object once, hashing it and sniffing its type as it
// streams, and judges it against what was declared.
func (s *Service) inspect(ctx context.Context, a *ent.Asset) (verdict, string, error) {
	attrs, err := s.store.Attributes(ctx, a.ObjectKey)
	switch {
	case errors.Is(err, storage.ErrNotFound) && s.now().Before(a.UploadExpiresAt):
		return notYet, "", nil
	case errors.Is(err, storage.ErrNotFound):
		return RejectNotUploaded, "", nil
	case err != nil:
		return "", "", err
	case attrs.Size != a.ByteSize:
		return RejectSizeMismatch, "", nil
	}
	rd, err := s.store.NewReader(ctx, a.ObjectKey)
	if err != nil {
		return "", "", err
	}
	defer rd.Close()
	h := sha256.New()
	head := &prefixWriter{max: sniffBytes}
	n, err := io.Copy(io.MultiWriter(h, head), io.LimitReader(rd, a.ByteSize+1))
	if err != nil {
		return "", "", fmt.Errorf("read upload: %w", err)
	}
	if n != a.ByteSize {
		return RejectSizeMismatch, "", nil
	}
	if hex.EncodeToString(h.Sum(nil)) != a.ChecksumSha256 {
		return RejectChecksumMismatch, "", nil
	}
	sniffed := sniff(head.buf)
	r := purposes[a.Purpose]
	switch {
	case !r.allows(sniffed):
		return RejectContentTypeNotAllowed, sniffed, nil
	case !sameType(a.DeclaredType, sniffed):
		return RejectContentTypeMismatch, sniffed, nil
	}
	return "", sniffed, nil
}

// sniff returns the media type a file's first bytes show, without
// parameters; "application/octet-stream" when they show nothing known.
// Plain text must be valid UTF-8 (mimetype also calls UTF-16 and Latin-1
// text "text/plain").
func sniff(head []byte) string {
	m := mimetype.Detect(head)
	t, _, _ := strings.Cut(m.String(), ";")
	if t == typeText && !utf8.Valid(trimPartialRune(head)) {
		return "application/octet-stream"
	}
	return t
}

// trimPartialRune drops an incomplete UTF-8 sequence cut off at the end
// of a file's first bytes.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && i < len(b); i++ {
		if utf8.RuneStart(b[len(b)-1-i]) {
			if !utf8.FullRune(b[len(b)-1-i:]) {
				return b[:len(b)-1-i]
			}
			break
		}
	}
	return b
}

// prefixWriter keeps the first max bytes written to it.
type prefixWriter struct {
	buf []byte
	max int
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	if room := w.max - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// settle records verdict on a, unless another completeUpload did first
// (its outcome is then returned): accepted images become PROCESSING with
// their job enqueued in the same transaction, other files READY.
func (s *Service) settle(ctx context.Context, a *ent.Asset, v verdict, sniffed string) (*ent.Asset, error) {
	if v == notYet {
		return nil, apperr.Problem(apperr.UserNotUploaded, "nothing has been uploaded yet: send the PUT request, then complete the upload", "id")
	}
	now := s.now().UTC()
	var out *ent.Asset
	err := s.db.Transact(ctx, func(tx *database.Tx) error {
		// Completing shows nothing public: an asset shows once attached.
		tx.Touch()
		upd := tx.Asset.Update().Where(asset.ID(a.ID), asset.StatusEQ(asset.StatusPENDING)).
			SetCompletedAt(now).SetUpdatedAt(now)
		image := purposes[a.Purpose].image
		switch {
		case v != "":
			upd.SetStatus(asset.StatusREJECTED).SetRejectionReason(string(v))
		case image:
			upd.SetStatus(asset.StatusPROCESSING).SetContentType(sniffed)
		default:
			upd.SetStatus(asset.StatusREADY).SetContentType(sniffed)
		}
		n, err := upd.Save(ctx)
		if err != nil {
			return err
		}
		if n == 1 && v == "" && image {
			if _, err := s.queue.InsertTx(ctx, tx, jobs.ProcessImageArgs{AssetID: a.ID}, nil); err != nil {
				return err
			}
		}
		out, err = tx.Asset.Get(ctx, a.ID)
		return err
	})
	return out, err
}

// deleteNow deletes an object the caller no longer needs, logging a
// failure: the sweep removes what is left behind.
func (s *Service) deleteNow(ctx context.Context, key string) {
	if err := s.store.Delete(context.WithoutCancel(ctx), key); err != nil {
		s.log.WarnContext(ctx, "media: deleting object", "key", key, "err", err)
	}
}
