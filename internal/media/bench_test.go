package media_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/asset"
	"lectern/ent/user"
	"lectern/internal/app"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/media"
	"lectern/internal/storage"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// The benchmarks below measure the two heavy steps of the flow on SQLite
// and the file store: completing a 50 MB attachment (read back, hashed and
// sniffed as it streams) and rendering a 12-megapixel cover. Besides time
// they report the process's peak RSS during the measured part over its RSS
// before it ("peak-rss-growth-MB"): the peak is reset first through
// /proc/self/clear_refs, so setup does not count.
//
//	go test ./internal/media -run '^$' -bench 'CompleteAttachment|RenderCover' -benchtime 5x

// benchEnv is a media service over a fresh SQLite database and a file
// store, with a verified instructor to act as.
type benchEnv struct {
	svc   *media.Service
	store *storage.Store
	db    *database.DB
	ctx   context.Context
}

func newBenchEnv(b *testing.B) benchEnv {
	b.Helper()
	db := testenv.Fresh(b, database.SQLite)
	cfg := config.Config{HTTPAddr: "127.0.0.1:8080", Storage: config.StorageConfig{Driver: config.StorageFile, Dir: b.TempDir()}}
	store, err := app.OpenStore(context.Background(), cfg, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	queue, err := jobs.New(db, jobs.Config{})
	if err != nil {
		b.Fatal(err)
	}
	svc := media.New(db, store, queue, media.Config{DailyBytes: 1 << 40, PublicBaseURL: "http://127.0.0.1:8080/v1/assets"}, nil, nil)
	u := testenv.CreateAccount(b, db, testenv.Account{Role: user.RoleINSTRUCTOR, VerifiedAt: time.Now()})
	ctx := viewer.NewContext(context.Background(), viewer.Viewer{UserID: u.ID, Role: viewer.RoleInstructor})
	return benchEnv{svc: svc, store: store, db: db, ctx: ctx}
}

// upload creates an upload of the file at path and PUTs it through the
// file store's handler, returning the asset's ID.
func (e benchEnv) upload(b *testing.B, purpose asset.Purpose, contentType, path, sum string, size int64) uuid.UUID {
	b.Helper()
	up, err := e.svc.CreateUpload(e.ctx, media.UploadInput{Purpose: purpose, Filename: filepath.Base(path),
		ContentType: contentType, ByteSize: size, ChecksumSHA256: sum})
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	u, err := url.Parse(up.Request.URL)
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPut, u.RequestURI(), f)
	req.ContentLength = size
	for name, values := range up.Request.Headers {
		req.Header[name] = values
	}
	rec := httptest.NewRecorder()
	e.store.FileHandler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	return up.ID
}

// writeFile streams n bytes from r into a new file, returning its path
// and SHA-256, without holding them in memory.
func writeFile(b *testing.B, name string, r io.Reader, n int64) (string, string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), r, n); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path, hex.EncodeToString(h.Sum(nil))
}

// rssPeak resets the process's peak RSS and returns a function reporting
// how far the peak rose above the RSS of now, in MB.
func rssPeak(b *testing.B) func() {
	b.Helper()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("peak RSS not measured: %v", err)
		return func() {}
	}
	base := procStatus(b, "VmRSS")
	return func() {
		b.ReportMetric(float64(procStatus(b, "VmHWM")-base)/1024, "peak-rss-growth-MB")
	}
}

// procStatus returns a /proc/self/status value in kB.
func procStatus(b *testing.B, field string) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

func BenchmarkCompleteAttachment50MB(b *testing.B) {
	e := newBenchEnv(b)
	const size = 50 << 20
	body := io.MultiReader(strings.NewReader("%PDF-1.4\n"), rand.NewChaCha8([32]byte{1}))
	path, sum := writeFile(b, "big.pdf", body, size)
	b.SetBytes(size)
	report := rssPeak(b)
	for b.Loop() {
		b.StopTimer()
		id := e.upload(b, asset.PurposeLESSON_ATTACHMENT, "application/pdf", path, sum, size)
		b.StartTimer()
		a, err := e.svc.CompleteUpload(e.ctx, id)
		if err != nil || a.Status != asset.StatusREADY {
			b.Fatalf("complete: %v %v", a, err)
		}
	}
	report()
}

func BenchmarkRenderCover12MP(b *testing.B) {
	e := newBenchEnv(b)
	path, sum, size := coverJPEG(b)
	sys := viewer.SystemContext(context.Background())
	report := rssPeak(b)
	for b.Loop() {
		b.StopTimer()
		id := e.upload(b, asset.PurposeCOURSE_COVER, "image/jpeg", path, sum, size)
		if _, err := e.svc.CompleteUpload(e.ctx, id); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := e.svc.Process(sys, id, false); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		a, err := e.db.Ent.Asset.Get(sys, id)
		if err != nil || a.Status != asset.StatusREADY || len(a.Renditions) != 3 {
			b.Fatalf("processed: %+v %v", a, err)
		}
		b.StartTimer()
	}
	report()
}

// coverJPEG writes a 4000×3000 JPEG of gradients and noise (a photo's
// entropy, under the 5 MB cover cap) and returns its path, SHA-256 and
// size. The pixels are built before the peak RSS is reset.
func coverJPEG(b *testing.B) (string, string, int64) {
	b.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	r := rand.New(rand.NewPCG(1, 2))
	for y := range 3000 {
		for x := range 4000 {
			n := uint8(r.IntN(24))
			img.SetRGBA(x, y, color.RGBA{uint8(x/16) + n, uint8(y/12) + n, uint8((x+y)/28) + n, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		b.Fatal(err)
	}
	if buf.Len() > 5<<20 {
		b.Fatalf("the cover is %d bytes, over the 5 MB cap", buf.Len())
	}
	path, sum := writeFile(b, "cover.jpg", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	return path, sum, int64(buf.Len())
}
