package storage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
)

// Longest lifetimes of signed URLs. A URL cannot be revoked once handed
// out, so it lives only as long as a browser needs to start the transfer.
const (
	MaxPutTTL = 15 * time.Minute
	MaxGetTTL = 10 * time.Minute
)

// MaxUploadBytes is the largest object a signed URL may upload: S3 takes at
// most 5 GiB in one PUT, and the file store keeps to the same limit so the
// two behave alike.
const MaxUploadBytes = 5 << 30

// SignedRequest is an upload a client may make without further
// authorisation: it must send Method to URL with exactly Headers and a body
// of the signed size, before ExpiresAt.
type SignedRequest struct {
	URL       string
	Method    string
	Headers   http.Header
	ExpiresAt time.Time
}

// ContentDisposition says how a browser should present a download.
type ContentDisposition struct {
	// Filename is the name offered when saving; it is sanitised (see
	// DispositionHeader), and "" offers none.
	Filename string
	// Attachment asks the browser to save the file rather than show it.
	Attachment bool
}

// SignedPut returns a request that uploads exactly size bytes of
// contentType to key, once: the upload fails if key already holds an
// object, so a replayed URL cannot replace a file after it was checked.
// ttl is capped at MaxPutTTL. On S3, the bucket's CORS rules must let
// browsers send Content-Type and If-None-Match. It fails for an invalid key
// or content type, a size outside 1..MaxUploadBytes, or a ttl under a
// second.
func (s *Store) SignedPut(ctx context.Context, key, contentType string, size int64, ttl time.Duration) (SignedRequest, error) {
	if err := checkSignedPut(key, contentType, size, ttl); err != nil {
		return SignedRequest{}, fmt.Errorf("storage: signed put: %w", err)
	}
	ttl = min(ttl, MaxPutTTL)
	headers := http.Header{"Content-Type": {contentType}, "If-None-Match": {"*"}}
	if s.signer != nil {
		exp := expiry(s.now(), ttl)
		u := s.fileURL(key, s.signer.sign(grant{method: http.MethodPut, key: key, expires: exp, contentType: contentType, size: size}))
		return SignedRequest{URL: u, Method: http.MethodPut, Headers: headers, ExpiresAt: exp}, nil
	}
	// Content-Length is signed from the declared size and, with
	// Content-Type and If-None-Match, becomes a signed header that S3
	// checks against the request.
	exp := expiry(time.Now(), ttl)
	u, err := s.bucket.SignedURL(ctx, key, &blob.SignedURLOptions{
		Method: http.MethodPut,
		Expiry: ttl,
		BeforeSign: func(as func(any) bool) error {
			var in *s3.PutObjectInput
			if !as(&in) {
				return errors.New("unexpected S3 request type")
			}
			in.ContentType = aws.String(contentType)
			in.ContentLength = aws.Int64(size)
			in.IfNoneMatch = aws.String("*")
			return nil
		},
	})
	if err != nil {
		return SignedRequest{}, fmt.Errorf("storage: signed put %s: %w", key, err)
	}
	return SignedRequest{URL: u, Method: http.MethodPut, Headers: headers, ExpiresAt: exp}, nil
}

func checkSignedPut(key, contentType string, size int64, ttl time.Duration) error {
	if err := checkPut(key, contentType); err != nil {
		return err
	}
	// An empty upload is refused because S3 signs Content-Length only
	// when it is positive; a zero size would let any size through.
	if size < 1 || size > MaxUploadBytes {
		return fmt.Errorf("size %d is outside 1..%d", size, int64(MaxUploadBytes))
	}
	return checkTTL(ttl)
}

// checkTTL wants whole seconds to be left: both stores write the expiry in
// seconds, so a shorter ttl would give a URL that is expired already.
func checkTTL(ttl time.Duration) error {
	if ttl < time.Second {
		return fmt.Errorf("ttl %v is shorter than a second", ttl)
	}
	return nil
}

// SignedGet returns a URL that downloads key until the returned time, with
// the Content-Disposition d describes. ttl is capped at MaxGetTTL. It fails
// for an invalid key or a ttl under a second; it does not check that the
// object exists.
func (s *Store) SignedGet(ctx context.Context, key string, ttl time.Duration, d ContentDisposition) (string, time.Time, error) {
	if err := ValidateKey(key); err != nil {
		return "", time.Time{}, fmt.Errorf("storage: signed get: %w", err)
	}
	if err := checkTTL(ttl); err != nil {
		return "", time.Time{}, fmt.Errorf("storage: signed get: %w", err)
	}
	ttl = min(ttl, MaxGetTTL)
	d.Filename = SanitizeFilename(d.Filename)
	if s.signer != nil {
		exp := expiry(s.now(), ttl)
		g := grant{method: http.MethodGet, key: key, expires: exp, filename: d.Filename, attachment: d.Attachment}
		return s.fileURL(key, s.signer.sign(g)), exp, nil
	}
	exp := expiry(time.Now(), ttl)
	header := DispositionHeader(d)
	u, err := s.bucket.SignedURL(ctx, key, &blob.SignedURLOptions{
		Method: http.MethodGet,
		Expiry: ttl,
		BeforeSign: func(as func(any) bool) error {
			var in *s3.GetObjectInput
			if !as(&in) {
				return errors.New("unexpected S3 request type")
			}
			in.ResponseContentDisposition = aws.String(header)
			return nil
		},
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("storage: signed get %s: %w", key, err)
	}
	return u, exp, nil
}

// expiry rounds down to the second the URL carries, so ExpiresAt is never
// later than what the signature allows.
func expiry(now time.Time, ttl time.Duration) time.Time {
	return time.Unix(now.Add(ttl).Unix(), 0)
}

// fileRoute is where FileHandler serves objects, below Options.BaseURL.
const fileRoute = "/v1/files/"

// fileURL needs no escaping of key: ValidateKey admits only characters
// that stand for themselves in a URL path.
func (s *Store) fileURL(key string, q url.Values) string {
	return s.baseURL + fileRoute + key + "?" + q.Encode()
}

// Query parameters of the file store's signed URLs.
const (
	paramMethod      = "method"
	paramExpires     = "expires"
	paramType        = "type"
	paramSize        = "size"
	paramFilename    = "filename"
	paramDisposition = "disposition"
	paramSignature   = "signature"
)

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
