package storage_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"lectern/internal/config"
	"lectern/internal/storage"
	"lectern/internal/testenv"
)

// testBucket is the bucket every fake S3 server starts with.
const testBucket = "lectern-test"

// bundle is one store under test and what a test needs around it.
type bundle struct {
	store *storage.Store
	// clock drives the file store's URL expiry; S3 signs with real time.
	clock *testenv.Clock
	// dir is the file store's directory, "" on S3.
	dir string
	// verifiesSignatures is false for the fake S3 server, which accepts
	// any request whatever its signature, expiry or signed headers.
	verifiesSignatures bool
}

// backend opens a fresh, empty store of one kind for each test.
type backend struct {
	name string
	open func(t *testing.T) *bundle
}

func backends() []backend {
	return []backend{{"File", openFileStore}, {"S3", openS3Store}}
}

// TestContract runs the same behaviour against the file store and against
// the S3 driver talking to an S3 protocol server on loopback.
func TestContract(t *testing.T) {
	// The AWS SDK reads its credentials from the environment; these are
	// set for the whole test, before any subtest runs in parallel, and
	// nothing from the machine's own AWS configuration is read.
	setAWSEnv(t)
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			t.Run("RoundTrip", func(t *testing.T) { t.Parallel(); testRoundTrip(t, b.open(t)) })
			t.Run("DeleteMissingKey", func(t *testing.T) { t.Parallel(); testDeleteMissing(t, b.open(t)) })
			t.Run("ListByPrefix", func(t *testing.T) { t.Parallel(); testListByPrefix(t, b.open(t)) })
			t.Run("RejectsHostileKeys", func(t *testing.T) { t.Parallel(); testHostileKeys(t, b.open(t)) })
			t.Run("RejectsBadContentType", func(t *testing.T) { t.Parallel(); testBadContentType(t, b.open(t)) })
			t.Run("SignedPutThenGet", func(t *testing.T) { t.Parallel(); testSignedPutThenGet(t, b.open(t)) })
			t.Run("SignedPutWritesOnce", func(t *testing.T) { t.Parallel(); testSignedPutWritesOnce(t, b.open(t)) })
			t.Run("SignedGetHostileFilename", func(t *testing.T) { t.Parallel(); testHostileFilename(t, b.open(t)) })
			t.Run("SignedURLTTLCapped", func(t *testing.T) { t.Parallel(); testTTLCapped(t, b.open(t)) })
			t.Run("SignedURLArguments", func(t *testing.T) { t.Parallel(); testSignedArguments(t, b.open(t)) })
			t.Run("RefusesExpiredURL", func(t *testing.T) { t.Parallel(); testExpired(t, b.open(t)) })
			t.Run("RefusesTamperedURL", func(t *testing.T) { t.Parallel(); testTampered(t, b.open(t)) })
			t.Run("RefusesWrongMethod", func(t *testing.T) { t.Parallel(); testWrongMethod(t, b.open(t)) })
			t.Run("RefusesLargerBody", func(t *testing.T) { t.Parallel(); testLargerBody(t, b.open(t)) })
		})
	}
}

func setAWSEnv(t *testing.T) {
	t.Helper()
	missing := filepath.Join(t.TempDir(), "absent")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIATESTTESTTESTTEST",
		"AWS_SECRET_ACCESS_KEY":       "test-secret-key-not-used-anywhere-else",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_CONFIG_FILE":             missing,
		"AWS_SHARED_CREDENTIALS_FILE": missing,
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_S3":         "",
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}

// newClock is the tests' time source; it stands still unless moved.
func newClock() *testenv.Clock { return testenv.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) }

var testSecret = bytes.Repeat([]byte("k"), 32)

// openFileStore serves the store's FileHandler on loopback at the base URL
// its signed URLs point to.
func openFileStore(t *testing.T) *bundle {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	dir := filepath.Join(t.TempDir(), "blobs")
	c := newClock()
	s, err := storage.Open(context.Background(), config.StorageConfig{Driver: config.StorageFile, Dir: dir},
		storage.Options{SigningSecret: testSecret, BaseURL: "http://" + srv.Listener.Addr().String(), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.FileHandler()
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return &bundle{store: s, clock: c, dir: dir, verifiesSignatures: true}
}

// openS3Store starts an in-memory S3 protocol server on loopback with one
// bucket and opens the S3 driver on it, path-style as self-hosted servers
// are addressed.
func openS3Store(t *testing.T) *bundle {
	t.Helper()
	mem := s3mem.New()
	if err := mem.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(mem).Server())
	cfg := config.StorageConfig{Driver: config.StorageS3, Bucket: testBucket, Region: "us-east-1", Endpoint: srv.URL, UsePathStyle: true}
	c := newClock()
	s, err := storage.Open(context.Background(), cfg, storage.Options{Now: c.Now})
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		srv.Close()
	})
	return &bundle{store: s, clock: c}
}

// payload returns n reproducible pseudo-random bytes.
func payload(n int, seed uint64) []byte {
	r := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// onlyReader hides bytes.Reader's extra methods so the store sees a plain
// stream, as it would from a network body.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func testRoundTrip(t *testing.T, b *bundle) {
	ctx := context.Background()
	s := b.store
	// Larger than one S3 upload part, so the S3 driver uploads in parts.
	data := payload(7<<20+123, 1)
	key := storage.NewKey("courses/c1/attachments")
	if err := s.Put(ctx, key, onlyReader{bytes.NewReader(data)}, "application/pdf"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if ok, err := s.Exists(ctx, key); err != nil || !ok {
		t.Fatalf("Exists = %v, %v; want true", ok, err)
	}
	a, err := s.Attributes(ctx, key)
	if err != nil {
		t.Fatalf("Attributes: %v", err)
	}
	if a.Size != int64(len(data)) || a.ContentType != "application/pdf" || a.ETag == "" || a.ModTime.IsZero() {
		t.Errorf("Attributes = %+v; want size %d, application/pdf, an ETag and a time", a, len(data))
	}
	if sum := md5.Sum(data); a.MD5 != nil && !bytes.Equal(a.MD5, sum[:]) {
		t.Errorf("Attributes MD5 = %x, want %x", a.MD5, sum)
	}
	r, err := s.NewReader(ctx, key)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	got, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (err %v), want the %d written", len(got), err, len(data))
	}
	if r.Size() != int64(len(data)) || r.ContentType() != "application/pdf" {
		t.Errorf("Reader size %d type %q", r.Size(), r.ContentType())
	}
	if keys := listKeys(t, s, "courses/c1/"); len(keys) != 1 || keys[0] != key {
		t.Errorf("List = %q, want [%q]", keys, key)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if ok, err := s.Exists(ctx, key); err != nil || ok {
		t.Errorf("Exists after Delete = %v, %v", ok, err)
	}
	if _, err := s.NewReader(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("NewReader after Delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Attributes(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Attributes after Delete: %v, want ErrNotFound", err)
	}
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("List after Delete = %q", keys)
	}
}

func testDeleteMissing(t *testing.T, b *bundle) {
	ctx := context.Background()
	for _, key := range []string{storage.NewKey(""), storage.NewKey("never/written")} {
		if err := b.store.Delete(ctx, key); err != nil {
			t.Errorf("Delete(%q) of a missing key: %v", key, err)
		}
	}
	key := storage.NewKey("twice")
	if err := b.store.Put(ctx, key, strings.NewReader("x"), "text/plain"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := b.store.Delete(ctx, key); err != nil {
			t.Errorf("Delete #%d: %v", i+1, err)
		}
	}
}

func testListByPrefix(t *testing.T, b *bundle) {
	ctx := context.Background()
	want := map[string][]string{}
	for _, prefix := range []string{"a/x", "a/y", "b"} {
		for range 3 {
			k := storage.NewKey(prefix)
			if err := b.store.Put(ctx, k, strings.NewReader(k), "text/plain"); err != nil {
				t.Fatal(err)
			}
			want[prefix] = append(want[prefix], k)
		}
	}
	for prefix, n := range map[string]int{"": 9, "a/": 6, "a/x/": 3, "a/x": 3, "b/": 3, "c/": 0} {
		if keys := listKeys(t, b.store, prefix); len(keys) != n {
			t.Errorf("List(%q) = %d keys %q, want %d", prefix, len(keys), keys, n)
		}
	}
	// An early break stops the listing without error.
	count := 0
	for _, err := range b.store.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		count++
		break
	}
	if count != 1 {
		t.Errorf("broke out after %d objects", count)
	}
}

func listKeys(t *testing.T, s *storage.Store, prefix string) []string {
	t.Helper()
	var keys []string
	for o, err := range s.List(context.Background(), prefix) {
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

// hostileKeys are keys a client might try to smuggle in; each must be
// refused before it reaches the store.
var hostileKeys = []string{
	"", "/etc/passwd", "..", ".", "../x", "a/../../etc/passwd", "a/./b", "a//b", "a/", "/",
	`a\b`, `..\..\windows`, "a\x00b", "a\nb", "a\rb", "a\tb", "a\x7fb", "ü", "a b", "a?b", "a#b", "a%2e%2e",
	"x.attrs", "x.tmp", strings.Repeat("k", storage.MaxKeyBytes+1),
}

func testHostileKeys(t *testing.T, b *bundle) {
	ctx := context.Background()
	s := b.store
	for _, key := range hostileKeys {
		calls := map[string]error{
			"Put":       s.Put(ctx, key, strings.NewReader("x"), "text/plain"),
			"Delete":    s.Delete(ctx, key),
			"Validate":  storage.ValidateKey(key),
			"NewReader": second(s.NewReader(ctx, key)),
			"Attrs":     second(s.Attributes(ctx, key)),
			"Exists":    second(s.Exists(ctx, key)),
			"SignedPut": second(s.SignedPut(ctx, key, "text/plain", 1, time.Minute)),
			"SignedGet": third(s.SignedGet(ctx, key, time.Minute, storage.ContentDisposition{})),
		}
		for name, err := range calls {
			if !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("%s(%q) = %v, want ErrInvalidKey", name, key, err)
			}
		}
	}
	for _, prefix := range []string{"/", "../", "a/../", "a\x00", "a//"} {
		for _, err := range s.List(ctx, prefix) {
			if !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("List(%q) = %v, want ErrInvalidKey", prefix, err)
			}
		}
	}
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("hostile keys stored objects: %q", keys)
	}
}

func second[T any](_ T, err error) error { return err }

func third[T, U any](_ T, _ U, err error) error { return err }

func testBadContentType(t *testing.T, b *bundle) {
	ctx := context.Background()
	key := storage.NewKey("t")
	for _, ct := range []string{"", "text", "text/plain\r\nX-Evil: 1", "text/plain; charset=\"", "tëxt/plain", strings.Repeat("a", 250) + "/plain"} {
		if err := b.store.Put(ctx, key, strings.NewReader("x"), ct); !errors.Is(err, storage.ErrInvalidContentType) {
			t.Errorf("Put with content type %q = %v, want ErrInvalidContentType", ct, err)
		}
		if _, err := b.store.SignedPut(ctx, key, ct, 1, time.Minute); !errors.Is(err, storage.ErrInvalidContentType) {
			t.Errorf("SignedPut with content type %q = %v, want ErrInvalidContentType", ct, err)
		}
	}
	if ok, _ := b.store.Exists(ctx, key); ok {
		t.Error("an object was stored under a bad content type")
	}
}

// send makes one request with the signed headers and body; it returns the
// status and response body.
func send(t *testing.T, method, rawURL string, h http.Header, body []byte) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, got
}

func upload(t *testing.T, b *bundle, key, ct string, data []byte) storage.SignedRequest {
	t.Helper()
	req, err := b.store.SignedPut(context.Background(), key, ct, int64(len(data)), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, body := send(t, req.Method, req.URL, req.Headers, data); code != http.StatusOK {
		t.Fatalf("signed PUT = %d %s", code, body)
	}
	return req
}

func testSignedPutThenGet(t *testing.T, b *bundle) {
	ctx := context.Background()
	data := payload(3<<20, 2)
	key := storage.NewKey("uploads")
	req := upload(t, b, key, "video/mp4", data)
	if req.Method != http.MethodPut || req.Headers.Get("Content-Type") != "video/mp4" || req.ExpiresAt.IsZero() {
		t.Errorf("SignedRequest = %+v", req)
	}
	a, err := b.store.Attributes(ctx, key)
	if err != nil || a.Size != int64(len(data)) || a.ContentType != "video/mp4" {
		t.Fatalf("Attributes after signed PUT = %+v, %v", a, err)
	}
	d := storage.ContentDisposition{Filename: "Lecture 1.mp4", Attachment: true}
	u, exp, err := b.store.SignedGet(ctx, key, 2*time.Minute, d)
	if err != nil {
		t.Fatal(err)
	}
	if exp.IsZero() {
		t.Error("SignedGet returned no expiry")
	}
	code, h, body := send(t, http.MethodGet, u, nil, nil)
	if code != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("signed GET = %d with %d bytes, want 200 with the %d uploaded", code, len(body), len(data))
	}
	if got := h.Get("Content-Type"); got != "video/mp4" {
		t.Errorf("Content-Type = %q", got)
	}
	want := `attachment; filename="Lecture 1.mp4"; filename*=UTF-8''Lecture%201.mp4`
	if got := h.Get("Content-Disposition"); got != want {
		t.Errorf("Content-Disposition = %q, want %q", got, want)
	}
}

// testSignedPutWritesOnce replays an upload URL: the second upload must
// not replace the first.
func testSignedPutWritesOnce(t *testing.T, b *bundle) {
	ctx := context.Background()
	key := storage.NewKey("once")
	first := []byte("first version")
	req := upload(t, b, key, "text/plain", first)
	second := []byte("other version")
	if code, _, body := send(t, req.Method, req.URL, req.Headers, second); code != http.StatusPreconditionFailed {
		t.Errorf("replayed PUT = %d %s, want 412", code, body)
	}
	r, err := b.store.NewReader(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, _ := io.ReadAll(r); !bytes.Equal(got, first) {
		t.Errorf("object = %q after a replay, want %q", got, first)
	}
}

func testHostileFilename(t *testing.T, b *bundle) {
	ctx := context.Background()
	key := storage.NewKey("f")
	if err := b.store.Put(ctx, key, strings.NewReader("<html><script>alert(1)</script>"), "text/html"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		`a"; filename="evil.exe`,
		"report\r\nSet-Cookie: session=stolen\r\n.pdf",
		"../../etc/passwd",
		`..\..\boot.ini`,
		strings.Repeat("é", 1000) + ".pdf",
		"naïve résumé 履歴書.pdf",
		"nul\x00byte.txt",
		"invoice\u202efdp.exe",
		"....",
	} {
		u, _, err := b.store.SignedGet(ctx, key, time.Minute, storage.ContentDisposition{Filename: name, Attachment: true})
		if err != nil {
			t.Fatal(err)
		}
		code, h, _ := send(t, http.MethodGet, u, nil, nil)
		if code != http.StatusOK {
			t.Fatalf("GET with filename %q = %d", name, code)
		}
		cd := h.Get("Content-Disposition")
		checkDisposition(t, name, cd)
	}
}

// checkDisposition asserts what a browser would act on: one attachment
// disposition whose filename has no path, quote or control character and
// a bounded length.
func checkDisposition(t *testing.T, name, header string) {
	t.Helper()
	if strings.ContainsAny(header, "\r\n\x00") || len(header) > 1024 {
		t.Fatalf("filename %q gave header %q", name, header)
	}
	typ, params, err := mime.ParseMediaType(header)
	if err != nil || typ != "attachment" {
		t.Fatalf("filename %q gave unparsable header %q: %v", name, header, err)
	}
	got := params["filename"]
	if want := storage.SanitizeFilename(name); got != want {
		t.Errorf("filename %q: decoded name %q, want %q (header %q)", name, got, want, header)
	}
	if strings.ContainsAny(got, "/\\\"'\x00\r\n\u202e") || strings.HasPrefix(got, ".") || len(got) > 200 {
		t.Errorf("filename %q: offered name %q is not safe", name, got)
	}
}

func testTTLCapped(t *testing.T, b *bundle) {
	ctx := context.Background()
	key := storage.NewKey("ttl")
	req, err := b.store.SignedPut(ctx, key, "text/plain", 10, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, getExp, err := b.store.SignedGet(ctx, key, 24*time.Hour, storage.ContentDisposition{})
	if err != nil {
		t.Fatal(err)
	}
	now := b.clock.Now()
	if !b.verifiesSignatures {
		now = time.Now()
	}
	if d := req.ExpiresAt.Sub(now); d > storage.MaxPutTTL || d < storage.MaxPutTTL-time.Minute {
		t.Errorf("PUT URL lives %v, want %v", d, storage.MaxPutTTL)
	}
	if d := getExp.Sub(now); d > storage.MaxGetTTL || d < storage.MaxGetTTL-time.Minute {
		t.Errorf("GET URL lives %v, want %v", d, storage.MaxGetTTL)
	}
}

func testSignedArguments(t *testing.T, b *bundle) {
	ctx := context.Background()
	key := storage.NewKey("args")
	for _, tc := range []struct {
		size int64
		ttl  time.Duration
	}{{0, time.Minute}, {-1, time.Minute}, {storage.MaxUploadBytes + 1, time.Minute}, {1, 0}, {1, -time.Second}, {1, 999 * time.Millisecond}} {
		if _, err := b.store.SignedPut(ctx, key, "text/plain", tc.size, tc.ttl); err == nil {
			t.Errorf("SignedPut(size %d, ttl %v) succeeded", tc.size, tc.ttl)
		}
	}
	for _, ttl := range []time.Duration{0, -time.Minute, 999 * time.Millisecond} {
		if _, _, err := b.store.SignedGet(ctx, key, ttl, storage.ContentDisposition{}); err == nil {
			t.Errorf("SignedGet with ttl %v succeeded", ttl)
		}
	}
}

// The fake S3 server checks no signature, expiry or signed header, so the
// tests that need a refusal run on the file store only; S3 itself refuses
// those requests, and TestS3PresignedURLs checks that the URLs we hand out
// sign what S3 must enforce.
func skipUnlessVerifying(t *testing.T, b *bundle) {
	t.Helper()
	if !b.verifiesSignatures {
		t.Skip("the fake S3 server does not verify signatures")
	}
}

func testExpired(t *testing.T, b *bundle) {
	skipUnlessVerifying(t, b)
	ctx := context.Background()
	key := storage.NewKey("exp")
	data := []byte("hello")
	put, err := b.store.SignedPut(ctx, key, "text/plain", int64(len(data)), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(time.Minute)
	if code, _, body := send(t, put.Method, put.URL, put.Headers, data); code != http.StatusForbidden || string(body) != "forbidden\n" {
		t.Errorf("expired PUT = %d %q, want 403", code, body)
	}
	if ok, _ := b.store.Exists(ctx, key); ok {
		t.Error("expired PUT stored an object")
	}
	upload(t, b, key, "text/plain", data)
	get, _, err := b.store.SignedGet(ctx, key, time.Minute, storage.ContentDisposition{})
	if err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(59 * time.Second)
	if code, _, _ := send(t, http.MethodGet, get, nil, nil); code != http.StatusOK {
		t.Errorf("GET a second before expiry = %d, want 200", code)
	}
	b.clock.Advance(time.Second)
	if code, _, body := send(t, http.MethodGet, get, nil, nil); code != http.StatusForbidden || string(body) != "forbidden\n" {
		t.Errorf("expired GET = %d %q, want 403", code, body)
	}
}

func testTampered(t *testing.T, b *bundle) {
	skipUnlessVerifying(t, b)
	ctx := context.Background()
	key := storage.NewKey("tamper")
	other := storage.NewKey("tamper")
	data := []byte("0123456789")
	put, err := b.store.SignedPut(ctx, key, "text/plain", int64(len(data)), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tamper := func(f func(u *url.URL, q url.Values)) string {
		u, _ := url.Parse(put.URL)
		q := u.Query()
		f(u, q)
		u.RawQuery = q.Encode()
		return u.String()
	}
	for name, u := range map[string]string{
		"signature flipped": tamper(func(_ *url.URL, q url.Values) {
			sig := []byte(q.Get("signature"))
			sig[3] ^= 1
			q.Set("signature", string(sig))
		}),
		"signature dropped": tamper(func(_ *url.URL, q url.Values) { q.Del("signature") }),
		"signature doubled": tamper(func(_ *url.URL, q url.Values) { q.Add("signature", q.Get("signature")) }),
		"size raised":       tamper(func(_ *url.URL, q url.Values) { q.Set("size", "1000") }),
		"expiry extended":   tamper(func(_ *url.URL, q url.Values) { q.Set("expires", "99999999999") }),
		"type changed":      tamper(func(_ *url.URL, q url.Values) { q.Set("type", "text/html") }),
		"other key":         tamper(func(u *url.URL, _ url.Values) { u.Path = strings.Replace(u.Path, key, other, 1) }),
	} {
		h := put.Headers.Clone()
		if strings.Contains(name, "type") {
			h.Set("Content-Type", "text/html")
		}
		if code, _, body := send(t, http.MethodPut, u, h, data); code != http.StatusForbidden || string(body) != "forbidden\n" {
			t.Errorf("%s: PUT = %d %q, want 403", name, code, body)
		}
	}
	if keys := listKeys(t, b.store, ""); len(keys) != 0 {
		t.Errorf("tampered URLs stored %q", keys)
	}
	if err := b.store.Verify(http.MethodPut, key, mustQuery(t, put.URL)); err != nil {
		t.Errorf("Verify of the untouched URL: %v", err)
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func testWrongMethod(t *testing.T, b *bundle) {
	skipUnlessVerifying(t, b)
	ctx := context.Background()
	key := storage.NewKey("method")
	data := []byte("abc")
	put := upload(t, b, key, "text/plain", data)
	get, _, err := b.store.SignedGet(ctx, key, time.Minute, storage.ContentDisposition{})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := send(t, http.MethodGet, put.URL, nil, nil); code != http.StatusForbidden {
		t.Errorf("GET with an upload URL = %d, want 403", code)
	}
	if code, _, _ := send(t, http.MethodPut, get, put.Headers, []byte("xyz")); code != http.StatusForbidden {
		t.Errorf("PUT with a download URL = %d, want 403", code)
	}
	if code, _, _ := send(t, http.MethodDelete, get, nil, nil); code != http.StatusMethodNotAllowed && code != http.StatusForbidden {
		t.Errorf("DELETE with a download URL = %d, want 405 or 403", code)
	}
	r, err := b.store.NewReader(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, _ := io.ReadAll(r); !bytes.Equal(got, data) {
		t.Errorf("object = %q, want %q", got, data)
	}
}

func testLargerBody(t *testing.T, b *bundle) {
	skipUnlessVerifying(t, b)
	ctx := context.Background()
	key := storage.NewKey("big")
	put, err := b.store.SignedPut(ctx, key, "application/octet-stream", 1<<20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, body := send(t, put.Method, put.URL, put.Headers, payload(1<<20+1, 3)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("PUT one byte over = %d %q, want 413", code, body)
	}
	if ok, err := b.store.Exists(ctx, key); err != nil || ok {
		t.Errorf("Exists after a refused PUT = %v, %v", ok, err)
	}
	assertNoTempFiles(t, b)
}

// assertNoTempFiles checks that an aborted write left nothing on disk.
func assertNoTempFiles(t *testing.T, b *bundle) {
	t.Helper()
	if b.dir == "" {
		return
	}
	err := filepath.WalkDir(b.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			t.Errorf("file left behind: %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
