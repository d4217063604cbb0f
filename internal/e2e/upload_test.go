package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Khan/genqlient/graphql"

	"lectern/internal/testenv"
)

// The cover the upload test sends, and the renditions the server must make
// of it: the widest not wider than 320, 800 and 1600 pixels.
const (
	coverWidth  = 1800
	coverHeight = 900
)

var coverRenditions = []struct {
	size          string // AssetSize, as CoverAsset asks for it
	width, height int
}{
	{"SMALL", 320, 160},
	{"MEDIUM", 800, 400},
	{"LARGE", 1600, 800},
}

// assetRoute is where the server serves public renditions when no
// ASSETS_PUBLIC_BASE_URL is set (README, "## Files").
const assetRoute = "/v1/assets/"

// Bounds that keep a broken server from hanging the run, never asserted as
// timings.
const (
	processWait = 20 * time.Second       // an image's renditions, made by the server's job worker
	pollEvery   = 100 * time.Millisecond // between looks at a PROCESSING cover
)

func TestUpload(t *testing.T) {
	onEachDatabase(t, testUpload)
}

// testUpload signs in as the demo instructor and, on the flagship course
// they own, uploads a cover the way a client does (createUpload, a plain
// PUT with the headers it named, completeUpload, setCourseCover), waits
// for the server's job worker to make its renditions and fetches them
// anonymously; then sends a ZIP declared as a PNG and expects it rejected.
func testUpload(t *testing.T, srv *server) {
	ctx, cancel := context.WithTimeout(t.Context(), suiteWait)
	defer cancel()
	instructor := testenv.DemoAccount(t, "INSTRUCTOR")
	anon := graphql.NewClient(srv.URL+"/v1/graphql", http.DefaultClient)
	in, err := LogInForToken(ctx, anon, instructor.Email, instructor.Password)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.LogIn.UserErrors) > 0 || in.LogIn.Token == nil {
		t.Fatalf("logIn as %s: %+v", instructor.Email, in.LogIn)
	}
	authed := graphql.NewClient(srv.URL+"/v1/graphql", &http.Client{Transport: bearer{*in.LogIn.Token}})

	t.Run("cover", func(t *testing.T) { testCoverUpload(ctx, t, srv, authed, anon) })
	t.Run("zip declared as png", func(t *testing.T) { testDisguisedUpload(ctx, t, authed) })
}

func testCoverUpload(ctx context.Context, t *testing.T, srv *server, authed, anon graphql.Client) {
	before, err := CourseCover(ctx, authed, flagshipSlug)
	if err != nil {
		t.Fatalf("course(%q): %v", flagshipSlug, err)
	}
	course := before.Course
	if course == nil {
		t.Fatalf("course(%q) is null for its instructor", flagshipSlug)
	}
	// Only a published course's cover has stable public URLs.
	if course.Status != CourseStatusPublished {
		t.Fatalf("course(%q) is %s; the test needs the published flagship course", flagshipSlug, course.Status)
	}
	// An anonymous look before the change, which the server may cache.
	if _, err := CourseCover(ctx, anon, flagshipSlug); err != nil {
		t.Fatalf("course(%q) as an anonymous caller: %v", flagshipSlug, err)
	}

	file := gradientPNG(t, coverWidth, coverHeight)
	up := createUpload(ctx, t, authed, CreateUploadInput{
		Purpose:        UploadPurposeCourseCover,
		Filename:       "cover.png",
		ContentType:    "image/png",
		ByteSize:       len(file),
		ChecksumSha256: sha256Hex(file),
	})
	if !strings.HasPrefix(up.Url, srv.URL+"/") {
		t.Errorf("upload url %q is not on the server (%s), where dev's file store takes uploads", up.Url, srv.URL)
	}
	if code := put(ctx, t, up, file); code != http.StatusOK {
		t.Fatalf("PUT %d bytes to the upload url: status %d, want 200", len(file), code)
	}

	done, err := CompleteUpload(ctx, authed, up.Id)
	if err != nil {
		t.Fatalf("completeUpload: %v", err)
	}
	a := done.CompleteUpload.Asset
	if len(done.CompleteUpload.UserErrors) > 0 || a == nil {
		t.Fatalf("completeUpload: asset %+v, userErrors %+v", a, done.CompleteUpload.UserErrors)
	}
	if a.Status != AssetStatusProcessing && a.Status != AssetStatusReady {
		t.Fatalf("completeUpload: status %s (rejectionReason %v, failureReason %v), want PROCESSING or READY",
			a.Status, deref(a.RejectionReason), deref(a.FailureReason))
	}
	if a.Purpose != UploadPurposeCourseCover || a.ContentType != "image/png" || a.ByteSize != len(file) || a.Filename != "cover.png" {
		t.Errorf("completeUpload: asset %s %q %s %d bytes, want COURSE_COVER \"cover.png\" image/png %d bytes",
			a.Purpose, a.Filename, a.ContentType, a.ByteSize, len(file))
	}

	set, err := SetCourseCover(ctx, authed, SetCourseCoverInput{CourseId: course.Id, UploadId: up.Id})
	if err != nil {
		t.Fatalf("setCourseCover: %v", err)
	}
	if p := set.SetCourseCover; len(p.UserErrors) > 0 || p.Course == nil || p.Course.Cover == nil || p.Course.Cover.Id != a.Id {
		t.Fatalf("setCourseCover: course %+v, userErrors %+v; want the cover %s", p.Course, p.UserErrors, a.Id)
	}
	if c := set.SetCourseCover.Course.Cover; c.Status == AssetStatusProcessing && (c.Small != nil || c.Medium != nil || c.Large != nil) {
		t.Errorf("a PROCESSING cover has urls %v %v %v; want null until READY", deref(c.Small), deref(c.Medium), deref(c.Large))
	}
	// An anonymous look while it may still be PROCESSING: the server may
	// cache this answer, and must drop it when the cover becomes READY.
	if mid, err := CourseCover(ctx, anon, flagshipSlug); err != nil {
		t.Fatalf("course(%q) as an anonymous caller: %v", flagshipSlug, err)
	} else if mid.Course != nil && mid.Course.Cover != nil {
		t.Logf("an anonymous caller saw the new cover %s", mid.Course.Cover.Status)
	}

	cover := waitForCover(ctx, t, srv, authed, a.Id)
	if cover.Width == nil || cover.Height == nil || *cover.Width != coverWidth || *cover.Height != coverHeight {
		t.Errorf("READY cover is %v×%v, want %d×%d", deref(cover.Width), deref(cover.Height), coverWidth, coverHeight)
	}
	urls := map[string]*string{"SMALL": cover.Small, "MEDIUM": cover.Medium, "LARGE": cover.Large}
	seen := map[string]string{}
	for _, r := range coverRenditions {
		u := urls[r.size]
		if u == nil {
			t.Errorf("url(size: %s) is null for a READY cover", r.size)
			continue
		}
		if other, dup := seen[*u]; dup {
			t.Errorf("url(size: %s) = url(size: %s) = %s; the renditions differ in width", r.size, other, *u)
		}
		seen[*u] = r.size
		if !strings.HasPrefix(*u, srv.URL+assetRoute) {
			t.Errorf("url(size: %s) = %q, want the server's %s route (%s%s…)", r.size, *u, assetRoute, srv.URL, assetRoute)
			continue
		}
		t.Run(r.size, func(t *testing.T) { fetchRendition(ctx, t, *u, r.width, r.height) })
	}

	// A published course's cover has the same public URLs whoever asks,
	// and the anonymous answer read before it was READY is not served.
	view, err := CourseCover(ctx, anon, flagshipSlug)
	if err != nil {
		t.Fatalf("course(%q) as an anonymous caller: %v", flagshipSlug, err)
	}
	switch got := view.Course; {
	case got == nil || got.Cover == nil || got.Cover.Id != a.Id:
		t.Errorf("an anonymous caller sees cover %+v once it is READY, want asset %s: a stale cached answer?", got, a.Id)
	case got.Cover.Status != AssetStatusReady:
		t.Errorf("an anonymous caller sees the cover %s after its instructor saw it READY: a stale cached answer?", got.Cover.Status)
	case !equalPtr(got.Cover.Small, cover.Small) || !equalPtr(got.Cover.Medium, cover.Medium) || !equalPtr(got.Cover.Large, cover.Large):
		t.Errorf("an anonymous caller sees urls %v %v %v, the instructor %v %v %v; a published cover's are public and stable",
			deref(got.Cover.Small), deref(got.Cover.Medium), deref(got.Cover.Large), deref(cover.Small), deref(cover.Medium), deref(cover.Large))
	}
}

// testDisguisedUpload declares a PNG cover, sends a ZIP archive of the
// declared size and checksum, and expects completeUpload to reject it by
// its first bytes, for good.
func testDisguisedUpload(ctx context.Context, t *testing.T, authed graphql.Client) {
	file := zipArchive(t)
	if !bytes.HasPrefix(file, []byte("PK\x03\x04")) {
		t.Fatalf("the archive starts %q, want a ZIP local file header", file[:4])
	}
	up := createUpload(ctx, t, authed, CreateUploadInput{
		Purpose:        UploadPurposeCourseCover,
		Filename:       "cover.png",
		ContentType:    "image/png",
		ByteSize:       len(file),
		ChecksumSha256: sha256Hex(file),
	})
	// The store takes any bytes of the signed size and type; checking
	// them is completeUpload's job.
	if code := put(ctx, t, up, file); code != http.StatusOK {
		t.Fatalf("PUT %d bytes to the upload url: status %d, want 200", len(file), code)
	}
	var first string
	for attempt := 1; attempt <= 2; attempt++ { // completing again returns the same asset
		done, err := CompleteUpload(ctx, authed, up.Id)
		if err != nil {
			t.Fatalf("completeUpload #%d: %v", attempt, err)
		}
		a := done.CompleteUpload.Asset
		if a == nil {
			t.Fatalf("completeUpload #%d: no asset; userErrors %+v", attempt, done.CompleteUpload.UserErrors)
		}
		if a.Status != AssetStatusRejected || !equalPtr(a.RejectionReason, ptr(AssetRejectionReasonContentTypeNotAllowed)) {
			t.Errorf("completeUpload #%d of a ZIP declared image/png: status %s, rejectionReason %v; want REJECTED, CONTENT_TYPE_NOT_ALLOWED",
				attempt, a.Status, deref(a.RejectionReason))
		}
		if a.Width != nil || a.Height != nil {
			t.Errorf("completeUpload #%d: a rejected file has dimensions %v×%v", attempt, deref(a.Width), deref(a.Height))
		}
		if first == "" {
			first = a.Id
		} else if a.Id != first {
			t.Errorf("completeUpload again returned asset %s, first %s", a.Id, first)
		}
	}
}

// createUpload declares a file and returns the signed PUT, failing on any
// user error.
func createUpload(ctx context.Context, t *testing.T, client graphql.Client, in CreateUploadInput) *CreateUploadCreateUploadCreateUploadPayloadUpload {
	t.Helper()
	resp, err := CreateUpload(ctx, client, in)
	if err != nil {
		t.Fatalf("createUpload: %v", err)
	}
	p := resp.CreateUpload
	if len(p.UserErrors) > 0 || p.Upload == nil {
		t.Fatalf("createUpload(%s %s %d bytes): upload %+v, userErrors %+v", in.Purpose, in.ContentType, in.ByteSize, p.Upload, p.UserErrors)
	}
	up := p.Upload
	if up.Id == "" || up.Url == "" || up.Method != http.MethodPut || !up.ExpiresAt.After(time.Now()) {
		t.Fatalf("createUpload: incomplete or expired upload %+v", up)
	}
	return up
}

// put sends body to the upload's URL, as a plain HTTP request with exactly
// the headers the server named, and returns the status.
func put(ctx context.Context, t *testing.T, up *CreateUploadCreateUploadCreateUploadPayloadUpload, body []byte) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, up.Method, up.Url, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("upload request: %v", err)
	}
	for _, h := range up.Headers {
		req.Header.Add(h.Name, h.Value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT upload: %v", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		t.Logf("PUT upload: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return resp.StatusCode
}

// waitForCover polls the flagship course, as its instructor, until its
// cover (asset id) is READY, failing if it ends anything else or stays
// PROCESSING past processWait.
func waitForCover(ctx context.Context, t *testing.T, srv *server, client graphql.Client, id string) *CoverAsset {
	t.Helper()
	deadline := time.Now().Add(processWait)
	for polls := 1; ; polls++ {
		resp, err := CourseCover(ctx, client, flagshipSlug)
		if err != nil {
			t.Fatalf("course(%q): %v", flagshipSlug, err)
		}
		if resp.Course == nil || resp.Course.Cover == nil || resp.Course.Cover.Id != id {
			t.Fatalf("course(%q) has cover %+v, want asset %s", flagshipSlug, resp.Course, id)
		}
		c := &resp.Course.Cover.CoverAsset
		switch c.Status {
		case AssetStatusReady:
			t.Logf("cover READY after %d polls", polls)
			return c
		case AssetStatusProcessing:
		default:
			t.Fatalf("the cover went %s (failureReason %v, rejectionReason %v); server output:\n%s",
				c.Status, deref(c.FailureReason), deref(c.RejectionReason), srv.output)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cover is still PROCESSING after %s (%d polls): did the server's job worker run? Its output:\n%s",
				processWait, polls, srv.output)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for the cover: %v", ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// fetchRendition GETs a public rendition with no credentials and checks
// that it is a cacheable-for-ever JPEG of the given size.
func fetchRendition(ctx context.Context, t *testing.T, url string, width, height int) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, want 200; body %q", url, resp.Status, truncate(body, 200))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/jpeg" {
		t.Errorf("GET %s: Content-Type %q, want image/jpeg", url, ct)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "public") {
		t.Errorf("GET %s: Cache-Control %q, want public and immutable", url, cc)
	}
	img, err := jpeg.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("GET %s: %d bytes that do not decode as JPEG: %v", url, len(body), err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Errorf("GET %s: a %d×%d JPEG, want %d×%d", url, b.Dx(), b.Dy(), width, height)
	}
}

// gradientPNG encodes a width×height PNG shaded from corner to corner.
func gradientPNG(t *testing.T, width, height int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(255 * x / width), G: uint8(255 * y / height), B: uint8(255 * (x + y) / (width + height)), A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatalf("encode PNG: %v", err)
	}
	return b.Bytes()
}

// zipArchive returns a small, valid ZIP archive.
func zipArchive(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.Create("cover.png")
	if err == nil {
		_, err = f.Write(bytes.Repeat([]byte("not an image\n"), 64))
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatalf("write ZIP: %v", err)
	}
	return b.Bytes()
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// deref shows a nullable value in a message: its value, or "null".
func deref[T any](p *T) any {
	if p == nil {
		return "null"
	}
	return *p
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return fmt.Sprintf("%s…", b[:n])
	}
	return string(b)
}
