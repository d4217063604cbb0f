package storage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Errors Verify returns, all of which FileHandler answers with 403.
var (
	// ErrBadSignature reports a URL that was not signed by this store
	// or was changed after signing.
	ErrBadSignature = errors.New("storage: signed URL is not valid")
	// ErrExpired reports a correctly signed URL past its expiry.
	ErrExpired = errors.New("storage: signed URL has expired")
	// ErrWrongMethod reports a correctly signed URL used with another
	// HTTP method than it was signed for.
	ErrWrongMethod = errors.New("storage: signed URL is for another method")
)

// grant is what a file store URL allows: one method on one key until
// expires, with the upload's declared type and size or the download's
// presentation.
type grant struct {
	method      string
	key         string
	expires     time.Time
	contentType string // PUT
	size        int64  // PUT
	filename    string // GET, already sanitised
	attachment  bool   // GET
}

func (g grant) disposition() ContentDisposition {
	return ContentDisposition{Filename: g.filename, Attachment: g.attachment}
}

// fileSigner signs and checks the file store's URLs with HMAC-SHA256.
type fileSigner struct {
	key []byte
}

// newFileSigner derives the MAC key from secret under a label of its own,
// so the same secret used elsewhere never yields a MAC valid here.
func newFileSigner(secret []byte) *fileSigner {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("lectern storage: file URL signing key v1"))
	return &fileSigner{key: m.Sum(nil)}
}

// mac covers every field of g, each length-prefixed so that no choice of
// values can make two different grants encode alike.
func (f *fileSigner) mac(g grant) []byte {
	m := hmac.New(sha256.New, f.key)
	var buf []byte
	for _, field := range []string{
		"v1", g.method, g.key, formatInt(g.expires.Unix()),
		g.contentType, formatInt(g.size), g.filename, strconv.FormatBool(g.attachment),
	} {
		buf = binary.AppendUvarint(buf[:0], uint64(len(field)))
		buf = append(buf, field...)
		m.Write(buf)
	}
	return m.Sum(nil)
}

func (f *fileSigner) sign(g grant) url.Values {
	q := url.Values{
		paramMethod:    {g.method},
		paramExpires:   {formatInt(g.expires.Unix())},
		paramSignature: {base64.RawURLEncoding.EncodeToString(f.mac(g))},
	}
	if g.method == http.MethodPut {
		q.Set(paramType, g.contentType)
		q.Set(paramSize, formatInt(g.size))
		return q
	}
	q.Set(paramDisposition, dispositionType(g.attachment))
	if g.filename != "" {
		q.Set(paramFilename, g.filename)
	}
	return q
}

// Verify checks a request for key through one of this store's signed URLs:
// query must carry a signature made by this store for key, unexpired, and
// for method. It returns nil when the request is allowed, or an error
// wrapping ErrBadSignature (also for an invalid key or on an S3 store,
// whose URLs S3 checks itself), ErrWrongMethod or ErrExpired. For a PUT,
// the declared content type and size it vouches for are what FileHandler
// then holds the request to.
func (s *Store) Verify(method, key string, query url.Values) error {
	_, err := s.verify(method, key, query)
	return err
}

func (s *Store) verify(method, key string, query url.Values) (grant, error) {
	if s.signer == nil {
		return grant{}, fmt.Errorf("%w: this store's URLs are not signed by Lectern", ErrBadSignature)
	}
	if checkKey(key) != nil {
		return grant{}, fmt.Errorf("%w: invalid key", ErrBadSignature)
	}
	g, sig, err := parseGrant(key, query)
	if err != nil {
		return grant{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if !hmac.Equal(sig, s.signer.mac(g)) {
		return grant{}, ErrBadSignature
	}
	if g.method != method {
		return grant{}, fmt.Errorf("%w: signed for %s", ErrWrongMethod, g.method)
	}
	if !s.now().Before(g.expires) {
		return grant{}, fmt.Errorf("%w at %s", ErrExpired, g.expires.UTC().Format(time.RFC3339))
	}
	return g, nil
}

// parseGrant reads the signed fields without trusting them; only the MAC
// comparison that follows makes them meaningful. A repeated parameter is
// refused so that no part of the stack can read a different copy.
func parseGrant(key string, q url.Values) (grant, []byte, error) {
	for _, p := range []string{paramMethod, paramExpires, paramType, paramSize, paramFilename, paramDisposition, paramSignature} {
		if len(q[p]) > 1 {
			return grant{}, nil, fmt.Errorf("parameter %q repeated", p)
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(q.Get(paramSignature))
	if err != nil || len(sig) != sha256.Size {
		return grant{}, nil, errors.New("malformed signature")
	}
	exp, err := strconv.ParseInt(q.Get(paramExpires), 10, 64)
	if err != nil {
		return grant{}, nil, errors.New("malformed expiry")
	}
	g := grant{method: q.Get(paramMethod), key: key, expires: time.Unix(exp, 0)}
	switch g.method {
	case http.MethodPut:
		g.contentType = q.Get(paramType)
		if g.size, err = strconv.ParseInt(q.Get(paramSize), 10, 64); err != nil {
			return grant{}, nil, errors.New("malformed size")
		}
	case http.MethodGet:
		g.filename = q.Get(paramFilename)
		switch q.Get(paramDisposition) {
		case "attachment":
			g.attachment = true
		case "inline":
		default:
			return grant{}, nil, errors.New("malformed disposition")
		}
	default:
		return grant{}, nil, errors.New("unknown method")
	}
	return g, sig, nil
}
