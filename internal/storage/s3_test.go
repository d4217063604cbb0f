package storage_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"lectern/internal/config"
	"lectern/internal/storage"
)

// TestS3PresignedURLs checks what the fake S3 server cannot: that an upload
// URL signs the headers S3 then holds the request to, so a client cannot
// send another type, another size or overwrite an object, and that the
// lifetimes are capped.
func TestS3PresignedURLs(t *testing.T) {
	setAWSEnv(t)
	b := openS3Store(t)
	ctx := context.Background()
	key := storage.NewKey("s3")
	put, err := b.store.SignedPut(ctx, key, "application/pdf", 12345, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, put.URL)
	if got, want := q.Get("X-Amz-SignedHeaders"), "content-length;content-type;host;if-none-match"; got != want {
		t.Errorf("signed headers = %q, want %q", got, want)
	}
	if got := q.Get("X-Amz-Expires"); got != "900" {
		t.Errorf("PUT X-Amz-Expires = %q, want 900", got)
	}
	if put.Headers.Get("If-None-Match") != "*" || put.Headers.Get("Content-Type") != "application/pdf" {
		t.Errorf("headers to send = %v", put.Headers)
	}
	if !strings.Contains(put.URL, "/"+testBucket+"/"+key+"?") {
		t.Errorf("URL %q is not path-style for the key", put.URL)
	}
	get, _, err := b.store.SignedGet(ctx, key, time.Hour, storage.ContentDisposition{Filename: `x".pdf`, Attachment: true})
	if err != nil {
		t.Fatal(err)
	}
	q = mustQuery(t, get)
	if got := q.Get("X-Amz-Expires"); got != "600" {
		t.Errorf("GET X-Amz-Expires = %q, want 600", got)
	}
	if got, want := q.Get("response-content-disposition"), `attachment; filename="x.pdf"; filename*=UTF-8''x.pdf`; got != want {
		t.Errorf("response-content-disposition = %q, want %q", got, want)
	}
	if strings.Contains(put.URL+get, "test-secret-key") {
		t.Error("a signed URL contains the secret key")
	}
	// An S3 store's URLs point at S3, never at Lectern's file routes.
	w := httptest.NewRecorder()
	b.store.FileHandler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/files/"+key, nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("FileHandler on S3 = %d, want 404", w.Code)
	}
	if err := b.store.Verify(http.MethodGet, key, q); err == nil {
		t.Error("Verify accepted an S3 URL")
	}
	if n, err := b.store.SweepIncomplete(ctx, time.Hour); n != 0 || err != nil {
		t.Errorf("SweepIncomplete on S3 = %d, %v", n, err)
	}
}

// TestOpenS3MissingBucket: a store that cannot be used fails at start.
func TestOpenS3MissingBucket(t *testing.T) {
	setAWSEnv(t)
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	cfg := config.StorageConfig{Driver: config.StorageS3, Bucket: "absent", Region: "us-east-1", Endpoint: srv.URL, UsePathStyle: true}
	_, err := storage.Open(context.Background(), cfg, storage.Options{})
	if err == nil || !strings.Contains(err.Error(), `bucket "absent"`) {
		t.Fatalf("Open = %v, want an error naming the bucket", err)
	}
}

func TestOpenRefusesIncompleteOptions(t *testing.T) {
	t.Parallel()
	file := config.StorageConfig{Driver: config.StorageFile, Dir: t.TempDir()}
	for name, tc := range map[string]struct {
		cfg  config.StorageConfig
		opts storage.Options
	}{
		"NoDriver":      {config.StorageConfig{}, storage.Options{SigningSecret: testSecret, BaseURL: "http://x"}},
		"ShortSecret":   {file, storage.Options{SigningSecret: testSecret[:31], BaseURL: "http://x"}},
		"NoBaseURL":     {file, storage.Options{SigningSecret: testSecret}},
		"RelativeBase":  {file, storage.Options{SigningSecret: testSecret, BaseURL: "/files"}},
		"BaseWithQuery": {file, storage.Options{SigningSecret: testSecret, BaseURL: "http://x/?a=b"}},
		"BaseWithUser":  {file, storage.Options{SigningSecret: testSecret, BaseURL: "http://u:p@x"}},
		"OtherScheme":   {file, storage.Options{SigningSecret: testSecret, BaseURL: "ftp://x"}},
		"DirWithNUL":    {config.StorageConfig{Driver: config.StorageFile, Dir: "a\x00b"}, storage.Options{SigningSecret: testSecret, BaseURL: "http://x"}},
	} {
		if s, err := storage.Open(context.Background(), tc.cfg, tc.opts); err == nil {
			s.Close()
			t.Errorf("%s: Open succeeded", name)
		}
	}
}
