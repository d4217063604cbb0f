package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"lectern/internal/config"
	"lectern/internal/storage"
)

// putRequest builds a request for a signed upload that FileHandler can be
// called with directly, so a test controls exactly how the body arrives.
func putRequest(t *testing.T, ctx context.Context, req storage.SignedRequest, body io.Reader, length int64) *http.Request {
	t.Helper()
	r := httptest.NewRequestWithContext(ctx, req.Method, req.URL, body)
	r.ContentLength = length
	for k, vs := range req.Headers {
		r.Header[k] = vs
	}
	return r
}

func signedPut(t *testing.T, b *bundle, key, ct string, size int64) storage.SignedRequest {
	t.Helper()
	req, err := b.store.SignedPut(context.Background(), key, ct, size, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// assertNothingStored checks that a refused upload left no object and no
// file behind.
func assertNothingStored(t *testing.T, b *bundle, key string) {
	t.Helper()
	if ok, err := b.store.Exists(context.Background(), key); err != nil || ok {
		t.Errorf("Exists(%q) = %v, %v after a refused upload", key, ok, err)
	}
	assertNoTempFiles(t, b)
}

func TestFileHandlerRefusesBadUploads(t *testing.T) {
	t.Parallel()
	const size = 64 << 10
	data := payload(size, 4)
	tests := []struct {
		name   string
		ct     string
		body   io.Reader
		length int64
		want   int
	}{
		{"ContentTypeDiffers", "text/html", bytes.NewReader(data), size, http.StatusBadRequest},
		{"ContentTypeMissing", "", bytes.NewReader(data), size, http.StatusBadRequest},
		{"DeclaredShorter", "application/pdf", bytes.NewReader(data[:size-1]), size - 1, http.StatusBadRequest},
		{"DeclaredLonger", "application/pdf", bytes.NewReader(append(data, 'x')), size + 1, http.StatusRequestEntityTooLarge},
		{"ChunkedShorter", "application/pdf", onlyReader{bytes.NewReader(data[:size-1])}, -1, http.StatusBadRequest},
		{"ChunkedLonger", "application/pdf", onlyReader{io.MultiReader(bytes.NewReader(data), strings.NewReader(strings.Repeat("x", 1<<20)))}, -1, http.StatusRequestEntityTooLarge},
		{"ChunkedOneByteLonger", "application/pdf", onlyReader{bytes.NewReader(append(data, 'x'))}, -1, http.StatusRequestEntityTooLarge},
		{"CutOff", "application/pdf", io.MultiReader(bytes.NewReader(data[:size/2]), errReader{io.ErrUnexpectedEOF}), -1, http.StatusBadRequest},
		{"CutOffWithLength", "application/pdf", io.MultiReader(bytes.NewReader(data[:size/2]), errReader{io.ErrUnexpectedEOF}), size, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := openFileStore(t)
			key := storage.NewKey("up")
			req := signedPut(t, b, key, "application/pdf", size)
			r := putRequest(t, context.Background(), req, tt.body, tt.length)
			if tt.ct == "" {
				r.Header.Del("Content-Type")
			} else {
				r.Header.Set("Content-Type", tt.ct)
			}
			w := httptest.NewRecorder()
			b.store.FileHandler().ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("status = %d %q, want %d", w.Code, w.Body, tt.want)
			}
			if w.Body.Len() > 100 || strings.Contains(w.Body.String(), key) {
				t.Errorf("body %q says too much", w.Body)
			}
			assertNothingStored(t, b, key)
		})
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestFileHandlerClientGoneMidUpload: the request context ends while the
// body streams, as when the client disconnects; nothing may be kept.
func TestFileHandlerClientGoneMidUpload(t *testing.T) {
	t.Parallel()
	b := openFileStore(t)
	key := storage.NewKey("gone")
	const size = 1 << 20
	req := signedPut(t, b, key, "application/zip", size)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body := &cancellingReader{r: bytes.NewReader(payload(size/2, 5)), cancel: cancel}
	w := httptest.NewRecorder()
	b.store.FileHandler().ServeHTTP(w, putRequest(t, ctx, req, body, size))
	if w.Code == http.StatusOK {
		t.Fatalf("status = %d, want a failure", w.Code)
	}
	assertNothingStored(t, b, key)
	// The URL is still usable for a complete upload afterwards.
	data := payload(size, 6)
	w = httptest.NewRecorder()
	b.store.FileHandler().ServeHTTP(w, putRequest(t, context.Background(), req, bytes.NewReader(data), size))
	if w.Code != http.StatusOK {
		t.Fatalf("retry = %d %q", w.Code, w.Body)
	}
}

// cancellingReader yields its data, then ends the context and fails as a
// request body does when the connection drops.
type cancellingReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
		return n, context.Canceled
	}
	return n, err
}

func TestFileHandlerServesObjects(t *testing.T) {
	t.Parallel()
	b := openFileStore(t)
	ctx := context.Background()
	key := storage.NewKey("media")
	data := payload(100_000, 7)
	if err := b.store.Put(ctx, key, bytes.NewReader(data), "image/svg+xml"); err != nil {
		t.Fatal(err)
	}
	u, _, err := b.store.SignedGet(ctx, key, 5*time.Minute, storage.ContentDisposition{Filename: "logo.svg"})
	if err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(time.Minute)
	code, h, body := send(t, http.MethodGet, u, nil, nil)
	if code != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("GET = %d, %d bytes", code, len(body))
	}
	for k, want := range map[string]string{
		"Content-Type":            "image/svg+xml",
		"Content-Length":          "100000",
		"X-Content-Type-Options":  "nosniff",
		"Content-Disposition":     `inline; filename="logo.svg"; filename*=UTF-8''logo.svg`,
		"Cache-Control":           "private, max-age=240",
		"Content-Security-Policy": "script-src 'none'; object-src 'self'; base-uri 'none'; form-action 'none'",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	t.Run("Head", func(t *testing.T) {
		code, h, body := send(t, http.MethodHead, u, nil, nil)
		if code != http.StatusOK || len(body) != 0 || h.Get("Content-Length") != "100000" {
			t.Errorf("HEAD = %d, %d bytes, length %q", code, len(body), h.Get("Content-Length"))
		}
	})
	t.Run("Range", func(t *testing.T) {
		code, h, body := send(t, http.MethodGet, u, http.Header{"Range": {"bytes=1000-1999"}}, nil)
		if code != http.StatusPartialContent || !bytes.Equal(body, data[1000:2000]) || h.Get("Content-Range") != "bytes 1000-1999/100000" {
			t.Errorf("ranged GET = %d, %d bytes, %q", code, len(body), h.Get("Content-Range"))
		}
	})
	t.Run("Missing", func(t *testing.T) {
		missing := storage.NewKey("media")
		u, _, err := b.store.SignedGet(ctx, missing, time.Minute, storage.ContentDisposition{})
		if err != nil {
			t.Fatal(err)
		}
		if code, _, body := send(t, http.MethodGet, u, nil, nil); code != http.StatusNotFound || string(body) != "not found\n" {
			t.Errorf("GET of a missing object = %d %q, want 404", code, body)
		}
	})
}

func TestFileHandlerRouting(t *testing.T) {
	t.Parallel()
	b := openFileStore(t)
	key := storage.NewKey("r")
	put := signedPut(t, b, key, "text/plain", 3)
	u, _ := url.Parse(put.URL)
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPut, "/v2/files/" + key, http.StatusNotFound},
		{http.MethodPut, "/", http.StatusNotFound},
		{http.MethodPost, "/v1/files/" + key, http.StatusMethodNotAllowed},
		{http.MethodDelete, "/v1/files/" + key, http.StatusMethodNotAllowed},
		// An unclean path is refused, not redirected to another key.
		{http.MethodPut, "/v1/files/x/../" + key, http.StatusForbidden},
		{http.MethodPut, "/v1/files//" + key, http.StatusForbidden},
		{http.MethodGet, "/v1/files/%2e%2e/%2e%2e/etc/passwd", http.StatusForbidden},
	} {
		r := httptest.NewRequest(tc.method, "http://x"+tc.path+"?"+u.RawQuery, strings.NewReader("abc"))
		r.Header.Set("Content-Type", "text/plain")
		w := httptest.NewRecorder()
		b.store.FileHandler().ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, w.Code, tc.want)
		}
	}
	assertNothingStored(t, b, key)
}

func TestVerify(t *testing.T) {
	t.Parallel()
	b := openFileStore(t)
	ctx := context.Background()
	key := storage.NewKey("v")
	put := signedPut(t, b, key, "text/plain", 10)
	get, _, err := b.store.SignedGet(ctx, key, time.Minute, storage.ContentDisposition{Filename: "a.txt"})
	if err != nil {
		t.Fatal(err)
	}
	putQ, getQ := mustQuery(t, put.URL), mustQuery(t, get)
	other := openFileStore(t)
	otherSecret, err := storage.Open(ctx, config.StorageConfig{Driver: config.StorageFile, Dir: t.TempDir()},
		storage.Options{SigningSecret: bytes.Repeat([]byte("z"), 32), BaseURL: "http://127.0.0.1:1", Now: b.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer otherSecret.Close()
	tests := []struct {
		name   string
		store  *storage.Store
		method string
		key    string
		query  url.Values
		want   error
	}{
		{"PutValid", b.store, http.MethodPut, key, putQ, nil},
		{"GetValid", b.store, http.MethodGet, key, getQ, nil},
		{"SameSecretOtherStore", other.store, http.MethodGet, key, getQ, nil},
		{"OtherSecret", otherSecret, http.MethodGet, key, getQ, storage.ErrBadSignature},
		{"OtherKey", b.store, http.MethodPut, storage.NewKey("v"), putQ, storage.ErrBadSignature},
		{"InvalidKey", b.store, http.MethodPut, "../" + key, putQ, storage.ErrBadSignature},
		{"PutURLForGet", b.store, http.MethodGet, key, putQ, storage.ErrWrongMethod},
		{"GetURLForPut", b.store, http.MethodPut, key, getQ, storage.ErrWrongMethod},
		{"GetURLForDelete", b.store, http.MethodDelete, key, getQ, storage.ErrWrongMethod},
		{"NoQuery", b.store, http.MethodGet, key, url.Values{}, storage.ErrBadSignature},
		{"FilenameChanged", b.store, http.MethodGet, key, with(getQ, "filename", "b.txt"), storage.ErrBadSignature},
		{"DispositionChanged", b.store, http.MethodGet, key, with(getQ, "disposition", "attachment"), storage.ErrBadSignature},
		{"MethodParamChanged", b.store, http.MethodGet, key, with(putQ, "method", "GET"), storage.ErrBadSignature},
		{"SignatureGarbage", b.store, http.MethodGet, key, with(getQ, "signature", "!!"), storage.ErrBadSignature},
		{"ExpiryGarbage", b.store, http.MethodGet, key, with(getQ, "expires", "soon"), storage.ErrBadSignature},
	}
	for _, tt := range tests {
		if err := tt.store.Verify(tt.method, tt.key, tt.query); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: Verify = %v, want %v", tt.name, err, tt.want)
		}
	}
	b.clock.Advance(time.Minute)
	if err := b.store.Verify(http.MethodGet, key, getQ); !errors.Is(err, storage.ErrExpired) {
		t.Errorf("Verify after expiry = %v, want ErrExpired", err)
	}
}

func with(q url.Values, k, v string) url.Values {
	c := url.Values{}
	for kk, vv := range q {
		c[kk] = append([]string(nil), vv...)
	}
	c.Set(k, v)
	return c
}

func TestFileURLsUnderBaseURL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := storage.Open(ctx, config.StorageConfig{Driver: config.StorageFile, Dir: t.TempDir()},
		storage.Options{SigningSecret: testSecret, BaseURL: "https://courses.example.com/app/"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key := storage.NewKey("c/1")
	put, err := s.SignedPut(ctx, key, "text/plain", 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	get, _, err := s.SignedGet(ctx, key, time.Minute, storage.ContentDisposition{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{put.URL, get} {
		if want := "https://courses.example.com/app/v1/files/" + key + "?"; !strings.HasPrefix(u, want) {
			t.Errorf("URL %q does not start with %q", u, want)
		}
	}
}
