package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"mime"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"

	"lectern/internal/config"
)

// Errors callers can test for with errors.Is.
var (
	// ErrNotFound reports that no object has the key.
	ErrNotFound = errors.New("storage: object not found")
	// ErrInvalidKey reports a key or prefix ValidateKey refuses.
	ErrInvalidKey = errors.New("storage: invalid key")
	// ErrExists reports an upload through a signed URL to a key that
	// already holds an object: a signed upload writes once.
	ErrExists = errors.New("storage: object already exists")
	// ErrInvalidContentType reports a content type that is not one
	// printable media type of at most 255 bytes.
	ErrInvalidContentType = errors.New("storage: invalid content type")
)

// minSecretBytes is the least signing secret the file store accepts: the
// HMAC-SHA256 key should carry as many bits as the hash.
const minSecretBytes = 32

// Options are the settings Open takes besides the configuration.
type Options struct {
	// SigningSecret keys the HMAC that signs the file store's URLs; at
	// least 32 random bytes. Required for a file store, unused on S3,
	// which signs with the AWS credentials.
	SigningSecret []byte
	// BaseURL is where FileHandler is reachable, e.g.
	// "http://127.0.0.1:8080": a file store's signed URLs are
	// BaseURL + "/v1/files/" + key. Required for a file store.
	BaseURL string
	// Now is the clock for the file store's URL expiry and
	// SweepIncomplete; nil means time.Now. S3 signs with the AWS SDK's
	// own clock.
	Now func() time.Time
	// Logger records FileHandler's failures that are the server's fault;
	// nil discards them.
	Logger *slog.Logger
}

// Store is an object store: a directory or an S3 bucket. Its methods are
// safe for concurrent use.
type Store struct {
	bucket  *blob.Bucket
	dir     string      // the file store's absolute directory
	signer  *fileSigner // nil on S3
	baseURL string
	now     func() time.Time
	log     *slog.Logger
}

// Open returns the store cfg names. A file store's directory is created if
// missing (a relative one is resolved against the working directory); an S3
// store takes its credentials from the AWS SDK's usual sources and is
// checked to be reachable, so they need s3:ListBucket (which List uses too)
// besides s3:GetObject, s3:PutObject and s3:DeleteObject. It fails when
// opts lack what the driver needs or the store cannot be reached.
func Open(ctx context.Context, cfg config.StorageConfig, opts Options) (*Store, error) {
	s := &Store{now: opts.Now, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	switch cfg.Driver {
	case config.StorageFile:
		err = s.openFile(cfg, opts)
	case config.StorageS3:
		err = s.openS3(ctx, cfg)
	default:
		err = fmt.Errorf("unknown driver %q", cfg.Driver)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open: %w", err)
	}
	return s, nil
}

func (s *Store) openFile(cfg config.StorageConfig, opts Options) error {
	if len(opts.SigningSecret) < minSecretBytes {
		return fmt.Errorf("the file store needs a signing secret of at least %d bytes", minSecretBytes)
	}
	base, err := checkBaseURL(opts.BaseURL)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return fmt.Errorf("directory %q: %w", cfg.Dir, err)
	}
	// Temporary files go next to their object rather than in the system
	// temp directory: the final rename then never crosses file systems,
	// and a large upload never lands on a memory-backed /tmp.
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{CreateDir: true, NoTempDir: true, DirFileMode: 0o750})
	if err != nil {
		return err
	}
	s.bucket, s.dir, s.baseURL = b, dir, base
	s.signer = newFileSigner(opts.SigningSecret)
	return nil
}

func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("base URL %q is not an absolute http(s) URL without user info, query or fragment", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func (s *Store) openS3(ctx context.Context, cfg config.StorageConfig) error {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Region))
	if err != nil {
		return fmt.Errorf("AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.UsePathStyle
		// S3-compatible servers often send no checksum; the SDK would log
		// a line for every such download.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	b, err := s3blob.OpenBucket(ctx, client, cfg.Bucket, &s3blob.Options{
		RequestChecksumCalculation: awsCfg.RequestChecksumCalculation,
	})
	if err != nil {
		return err
	}
	// A missing bucket or a denied credential should stop the start, not
	// the first upload.
	ok, err := b.IsAccessible(ctx)
	if err == nil && !ok {
		err = errors.New("does not exist")
	}
	if err != nil {
		_ = b.Close()
		return fmt.Errorf("bucket %q: %w", cfg.Bucket, err)
	}
	s.bucket = b
	return nil
}

// Close releases the store. It returns the driver's error, if any.
func (s *Store) Close() error {
	if err := s.bucket.Close(); err != nil {
		return fmt.Errorf("storage: close: %w", err)
	}
	return nil
}

// Put streams r into the object key with the given content type, replacing
// any object there. The object appears only once r is read to the end: if
// reading r or writing fails, or ctx ends first, nothing is stored and the
// error says why.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, contentType string) error {
	if err := checkPut(key, contentType); err != nil {
		return fmt.Errorf("storage: put: %w", err)
	}
	if _, err := s.write(ctx, key, r, contentType, -1, false); err != nil {
		return fmt.Errorf("storage: put %s: %w", key, err)
	}
	return nil
}

func checkPut(key, contentType string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	return checkContentType(contentType)
}

// Errors write reports for a body that is not the declared size or could
// not be read (a client that went away, say).
var (
	errTooLarge = errors.New("body is larger than declared")
	errTooSmall = errors.New("body is smaller than declared")
	errBodyRead = errors.New("reading the body")
)

// write copies r into key and returns the bytes written. With size ≥ 0 the
// body must be exactly size bytes: it reads at most one byte more, so an
// oversized body is refused without being read to the end. With once, the
// write fails with ErrExists if key already holds an object. Every failure
// cancels the writer's context before closing it, which both drivers take
// as "abort": the file store deletes its temporary file and S3 never
// completes the upload, so no partial object is ever visible.
func (s *Store) write(ctx context.Context, key string, r io.Reader, contentType string, size int64, once bool) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(ctx, key, &blob.WriterOptions{ContentType: contentType, IfNotExist: once})
	if err != nil {
		return 0, err
	}
	src := &bodyReader{r: r}
	if size >= 0 {
		src.r = io.LimitReader(r, size+1)
	}
	n, err := io.Copy(w, src)
	switch {
	case src.err != nil:
		err = fmt.Errorf("%w: %w", errBodyRead, src.err)
	case err != nil:
	case size >= 0 && n > size:
		err = errTooLarge
	case size >= 0 && n < size:
		err = errTooSmall
	}
	if err != nil {
		cancel()
		_ = w.Close()
		return n, err
	}
	if err := w.Close(); err != nil {
		if once && gcerrors.Code(err) == gcerrors.FailedPrecondition {
			return n, ErrExists
		}
		return n, err
	}
	return n, nil
}

// bodyReader remembers a read error so that write can tell a failing
// source from a failing store.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// Reader streams an object. It is an io.ReadSeekCloser, so http.ServeContent
// can answer range requests from it without buffering the object.
type Reader struct {
	r *blob.Reader
}

// Read reads the next bytes of the object.
func (r *Reader) Read(p []byte) (int, error) { return r.r.Read(p) }

// Seek moves the read position; reading after it starts a new request on S3.
func (r *Reader) Seek(offset int64, whence int) (int64, error) { return r.r.Seek(offset, whence) }

// Close releases the reader; it returns the driver's error, if any.
func (r *Reader) Close() error { return r.r.Close() }

// Size returns the object's size in bytes.
func (r *Reader) Size() int64 { return r.r.Size() }

// ContentType returns the content type the object was stored with.
func (r *Reader) ContentType() string { return r.r.ContentType() }

// ModTime returns when the object was last written.
func (r *Reader) ModTime() time.Time { return r.r.ModTime() }

// NewReader opens key for streaming. It returns an error wrapping
// ErrNotFound when there is no such object.
func (s *Store) NewReader(ctx context.Context, key string) (*Reader, error) {
	if err := ValidateKey(key); err != nil {
		return nil, fmt.Errorf("storage: read: %w", err)
	}
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, fmt.Errorf("storage: read %s: %w", key, mapError(err))
	}
	return &Reader{r: r}, nil
}

// Attributes describes a stored object.
type Attributes struct {
	// Size is the object's length in bytes.
	Size int64
	// ContentType is the type the object was stored with.
	ContentType string
	// ETag identifies this version of the object, quoted as in HTTP.
	ETag string
	// MD5 is the content's MD5 digest when the store knows it: always on
	// the file store, on S3 only for objects not uploaded in parts.
	MD5 []byte
	// ModTime is when the object was last written.
	ModTime time.Time
}

// Attributes returns key's attributes, or an error wrapping ErrNotFound
// when there is no such object.
func (s *Store) Attributes(ctx context.Context, key string) (Attributes, error) {
	if err := ValidateKey(key); err != nil {
		return Attributes{}, fmt.Errorf("storage: attributes: %w", err)
	}
	a, err := s.bucket.Attributes(ctx, key)
	if err != nil {
		return Attributes{}, fmt.Errorf("storage: attributes %s: %w", key, mapError(err))
	}
	return Attributes{Size: a.Size, ContentType: a.ContentType, ETag: a.ETag, MD5: a.MD5, ModTime: a.ModTime}, nil
}

// Exists reports whether key holds an object. It fails only when the store
// cannot answer or the key is invalid.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if err := ValidateKey(key); err != nil {
		return false, fmt.Errorf("storage: exists: %w", err)
	}
	ok, err := s.bucket.Exists(ctx, key)
	if err != nil {
		return false, fmt.Errorf("storage: exists %s: %w", key, mapError(err))
	}
	return ok, nil
}

// Delete removes key. Deleting a key that holds nothing succeeds, so a
// cleanup that is retried after a crash does not fail on what it already
// removed.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("storage: delete: %w", err)
	}
	err := mapError(s.bucket.Delete(ctx, key))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("storage: delete %s: %w", key, err)
	}
	return nil
}

// Object is one entry of List.
type Object struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// List yields every object whose key starts with prefix, in key order, for
// jobs such as deleting objects no record refers to. Iteration stops at
// the first error, which is yielded with a zero Object. Entries that are
// not objects Lectern could have written (the file store's writes in
// progress, foreign keys in a shared bucket) are skipped, because no
// Store method could act on them.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		if err := checkPrefix(prefix); err != nil {
			yield(Object{}, fmt.Errorf("storage: list: %w", err))
			return
		}
		it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
		for {
			o, err := it.Next(ctx)
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(Object{}, fmt.Errorf("storage: list %q: %w", prefix, mapError(err)))
				return
			}
			if o.IsDir || checkKey(o.Key) != nil {
				continue
			}
			if !yield(Object{Key: o.Key, Size: o.Size, ModTime: o.ModTime}, nil) {
				return
			}
		}
	}
}

// mapError replaces the drivers' not-found errors, which name file paths
// or S3 request IDs of no use to a caller, with ErrNotFound.
func mapError(err error) error {
	if err != nil && gcerrors.Code(err) == gcerrors.NotFound {
		return ErrNotFound
	}
	return err
}

// checkContentType wants exactly one media type in printable ASCII,
// because the type is signed into upload URLs and sent back as a header.
func checkContentType(ct string) error {
	if ct == "" || len(ct) > 255 {
		return fmt.Errorf("%w: want 1-255 bytes", ErrInvalidContentType)
	}
	for i := 0; i < len(ct); i++ {
		if ct[i] < 0x20 || ct[i] > 0x7e {
			return fmt.Errorf("%w %q: has a control or non-ASCII byte", ErrInvalidContentType, ct)
		}
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("%w %q: %v", ErrInvalidContentType, ct, err)
	}
	if typ, sub, ok := strings.Cut(mt, "/"); !ok || typ == "" || sub == "" {
		return fmt.Errorf("%w %q: want type/subtype", ErrInvalidContentType, ct)
	}
	return nil
}
