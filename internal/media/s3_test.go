package media_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"lectern/internal/app"
	"lectern/internal/config"
	"lectern/internal/gid"
	"lectern/internal/storage"
	"lectern/internal/testenv"
)

// The S3 peer's bucket and the only credentials it takes.
const (
	s3Bucket    = "lectern-media-test"
	s3Region    = "us-east-1"
	s3AccessKey = "AKIAMEDIATESTMEDIATE"
	s3SecretKey = "media-test-secret-key-not-used-anywhere-else"
)

// The demo course the instructor owns and one of its lessons.
const (
	s3CourseSlug = "backend-development-from-first-principles"
	s3LessonSlug = "what-a-backend-does"
)

// TestS3AttachmentFlow runs a lesson attachment through the whole upload
// flow on S3: a presigned PUT straight to the S3 peer, completeUpload
// reading the object back from the bucket, and a presigned GET that
// downloads it under its name.
func TestS3AttachmentFlow(t *testing.T) {
	setS3Env(t)
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		f := newS3Flow(t, dialect)
		instructor := f.signIn(t, "INSTRUCTOR")
		const filename = "Résumé week 1.pdf"
		pdf := flowPDF(5000)

		up := flowCreate(t, instructor, "LESSON_ATTACHMENT", filename, "application/pdf", pdf)
		if up.Method != http.MethodPut {
			t.Errorf("upload method = %q, want PUT", up.Method)
		}
		u := f.presigned(t, up.URL, "PUT")
		if got, want := u.Query().Get("X-Amz-SignedHeaders"), "content-length;content-type;host;if-none-match"; got != want {
			t.Errorf("PUT signed headers = %q, want %q", got, want)
		}
		if code, body := s3Put(t, up, pdf, nil); code != http.StatusOK {
			t.Fatalf("PUT to the presigned URL = %d %s, want 200", code, body)
		}

		a := flowCompleteOK(t, instructor, up.ID)
		if a.Status != "READY" || a.ContentType != "application/pdf" || a.ByteSize != len(pdf) || a.Filename != filename {
			t.Fatalf("completed attachment = %+v, want READY application/pdf of %d bytes named %q", a, len(pdf), filename)
		}

		lessonID := f.lessonID(t, instructor)
		r := instructor.Query(t, `mutation($lesson: ID!, $upload: ID!) {
			addLessonAttachment(input: {lessonId: $lesson, uploadId: $upload, title: "Week 1 slides"}) {
				lesson { id } userErrors { code field message } } }`,
			map[string]any{"lesson": lessonID, "upload": up.ID})
		var added struct {
			Lesson     *struct{ ID string }
			UserErrors []flowUserError
		}
		r.Field(t, "addLessonAttachment", &added)
		if len(added.UserErrors) > 0 || added.Lesson == nil || added.Lesson.ID != lessonID {
			t.Fatalf("addLessonAttachment = %s", r.Raw)
		}

		// The instructor reads the lesson's attachments as a page would.
		r = instructor.Query(t, `query($course: String!, $lesson: String!) {
			lesson(courseSlug: $course, lessonSlug: $lesson) { attachments { id title filename status url } } }`,
			map[string]any{"course": s3CourseSlug, "lesson": s3LessonSlug})
		var lesson struct{ Attachments []flowAsset }
		r.Field(t, "lesson", &lesson)
		assetID := gid.New("Asset", flowUUID(t, up.ID)).String()
		i := slices.IndexFunc(lesson.Attachments, func(a flowAsset) bool { return a.ID == assetID })
		if i < 0 {
			t.Fatalf("the lesson's attachments %s lack %s", r.Raw, assetID)
		}
		att := lesson.Attachments[i]
		if att.Title == nil || *att.Title != "Week 1 slides" || att.Status != "READY" || att.URL == nil {
			t.Fatalf("attachment = %+v, want READY with a URL", att)
		}
		get := f.presigned(t, *att.URL, "GET")
		if got := get.Query().Get("X-Amz-Expires"); got != "600" {
			t.Errorf("download URL X-Amz-Expires = %q, want 600", got)
		}
		if !strings.HasPrefix(get.Path, "/"+s3Bucket+"/uploads/") {
			t.Errorf("download URL path %q is not the uploaded object", get.Path)
		}

		resp, body := s3Fetch(t, *att.URL)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, pdf) {
			t.Fatalf("GET of the download URL = %d with %d bytes, want 200 with the %d uploaded", resp.StatusCode, len(body), len(pdf))
		}
		if got := resp.Header.Get("Content-Type"); got != "application/pdf" {
			t.Errorf("download Content-Type = %q, want application/pdf", got)
		}
		disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
		if err != nil || disp != "attachment" || params["filename"] != filename {
			t.Errorf("download Content-Disposition = %q (%v), want attachment named %q",
				resp.Header.Get("Content-Disposition"), err, filename)
		}

		// The disposition is part of what is signed: a link rewritten to
		// show the file inline is refused.
		tampered := *get
		q := tampered.Query()
		q.Set("response-content-disposition", "inline")
		tampered.RawQuery = q.Encode()
		if resp, body := s3Fetch(t, tampered.String()); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET with the disposition rewritten = %d with %d bytes, want 403", resp.StatusCode, len(body))
		}
	})
}

// TestS3RefusesOffContractPUT sends what the upload URL was not signed
// for: S3 holds a presigned PUT to its signed Content-Length and
// Content-Type, so nothing reaches the bucket, and completeUpload says so.
func TestS3RefusesOffContractPUT(t *testing.T) {
	setS3Env(t)
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		f := newS3Flow(t, dialect)
		instructor := f.signIn(t, "INSTRUCTOR")
		pdf := flowPDF(3000)

		up := flowCreate(t, instructor, "LESSON_ATTACHMENT", "notes.pdf", "application/pdf", pdf)
		for name, send := range map[string]struct {
			body    []byte
			headers http.Header
		}{
			"LargerBody":    {append(slices.Clone(pdf), '\n'), nil},
			"SmallerBody":   {pdf[:len(pdf)-1], nil},
			"OtherType":     {pdf, http.Header{"Content-Type": {"text/plain"}}},
			"NoIfNoneMatch": {pdf, http.Header{"If-None-Match": nil}},
		} {
			if code, body := s3Put(t, up, send.body, send.headers); code < 300 {
				t.Errorf("%s: PUT = %d %s, want it refused", name, code, body)
			} else if code != http.StatusForbidden {
				t.Errorf("%s: PUT = %d %s, want 403", name, code, body)
			}
		}
		f.assertNoObjects(t, "uploads/")
		r := instructor.Query(t, flowCompleteDoc, map[string]any{"id": up.ID})
		var p flowCompletePayload
		r.Field(t, "completeUpload", &p)
		if p.Asset != nil || len(p.UserErrors) != 1 || p.UserErrors[0].Code != "NOT_UPLOADED" {
			t.Fatalf("completeUpload after refused PUTs = %s, want userErrors NOT_UPLOADED", r.Raw)
		}

		// The URL still works for the bytes it was signed for, once.
		if code, body := s3Put(t, up, pdf, nil); code != http.StatusOK {
			t.Fatalf("PUT as signed after refused ones = %d %s, want 200", code, body)
		}
		if code, body := s3Put(t, up, pdf, nil); code != http.StatusPreconditionFailed {
			t.Errorf("replayed PUT = %d %s, want 412", code, body)
		}
		if a := flowCompleteOK(t, instructor, up.ID); a.Status != "READY" {
			t.Errorf("completeUpload after the signed PUT = %+v, want READY", a)
		}

		// An upload whose URL expired with only refused PUTs is rejected.
		late := flowCreate(t, instructor, "LESSON_ATTACHMENT", "late.pdf", "application/pdf", pdf)
		if code, body := s3Put(t, late, append(slices.Clone(pdf), pdf...), nil); code != http.StatusForbidden {
			t.Errorf("PUT of twice the declared size = %d %s, want 403", code, body)
		}
		f.clock.Advance(16 * time.Minute)
		a := flowCompleteOK(t, instructor, late.ID)
		if a.Status != "REJECTED" || a.RejectionReason == nil || *a.RejectionReason != "NOT_UPLOADED" || a.URL != nil {
			t.Errorf("completeUpload after the URL expired = %+v, want REJECTED NOT_UPLOADED without a URL", a)
		}
		f.assertObjects(t, "uploads/", 1) // the first upload's, not the late one
	})
}

// TestS3AvatarFlow runs an image through the flow on S3: the upload is
// processed into renditions stored in the bucket, the original (which may
// carry EXIF) is deleted, and anyone reads the avatar through the server's
// asset route, which streams it from S3.
func TestS3AvatarFlow(t *testing.T) {
	setS3Env(t)
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		f := newS3Flow(t, dialect)
		learner := f.signIn(t, "LEARNER")
		pic := flowPNG(t, 1000, 800)

		up := flowCreate(t, learner, "AVATAR", "me.png", "image/png", pic)
		if code, body := s3Put(t, up, pic, nil); code != http.StatusOK {
			t.Fatalf("PUT to the presigned URL = %d %s, want 200", code, body)
		}
		a := flowCompleteOK(t, learner, up.ID)
		if a.Status != "PROCESSING" || a.ContentType != "image/png" || a.URL != nil {
			t.Fatalf("completed avatar = %+v, want PROCESSING image/png without a URL", a)
		}
		f.assertObjects(t, "uploads/", 1)

		id := flowUUID(t, up.ID)
		if err := f.app.Media.Process(context.Background(), id, false); err != nil {
			t.Fatalf("Process: %v", err)
		}
		renditions := f.objects(t, "public/")
		if len(renditions) != 3 {
			t.Fatalf("renditions in the bucket = %+v, want 3 (320, 800 and the source's 1000 wide)", renditions)
		}
		for _, o := range renditions {
			if !strings.HasPrefix(o.Key, "public/"+id.String()+"/") || !strings.HasSuffix(o.Key, ".jpg") || o.Size == 0 {
				t.Errorf("rendition object %+v, want public/%s/<sha256>.jpg", o, id)
			}
		}
		f.assertNoObjects(t, "uploads/")

		r := learner.Query(t, `mutation($id: ID!) { setAvatar(uploadId: $id) {
			user { id avatar { status width height } } userErrors { code field message } } }`,
			map[string]any{"id": up.ID})
		var set struct {
			User *struct {
				ID     string
				Avatar *struct {
					Status        string
					Width, Height int
				}
			}
			UserErrors []flowUserError
		}
		r.Field(t, "setAvatar", &set)
		if len(set.UserErrors) > 0 || set.User == nil || set.User.Avatar == nil ||
			set.User.Avatar.Status != "READY" || set.User.Avatar.Width != 1000 || set.User.Avatar.Height != 800 {
			t.Fatalf("setAvatar = %s, want a READY 1000×800 avatar", r.Raw)
		}

		anon := f.client.NewCaller()
		r = anon.Query(t, `query($id: ID!) { node(id: $id) { ... on User {
			avatar { small: url(size: SMALL) large: url(size: LARGE) } } } }`, map[string]any{"id": set.User.ID})
		var node struct {
			Avatar *struct{ Small, Large *string }
		}
		r.Field(t, "node", &node)
		if node.Avatar == nil || node.Avatar.Small == nil || node.Avatar.Large == nil {
			t.Fatalf("anonymous avatar = %s, want URLs", r.Raw)
		}
		base := s3DevConfig(t).APIBaseURL + "/v1/assets/"
		for name, tc := range map[string]struct {
			url  string
			w, h int
		}{"SMALL": {*node.Avatar.Small, 320, 256}, "LARGE": {*node.Avatar.Large, 1000, 800}} {
			key, ok := strings.CutPrefix(tc.url, base)
			if !ok || !slices.ContainsFunc(renditions, func(o storage.Object) bool { return o.Key == key }) {
				t.Errorf("%s url = %q, want %s followed by a rendition's key", name, tc.url, base)
				continue
			}
			u, _ := url.Parse(tc.url)
			rec := httptest.NewRecorder()
			f.client.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.Path, nil))
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/jpeg" {
				t.Errorf("%s: GET %s = %d %s, want 200 image/jpeg", name, u.Path, rec.Code, rec.Header().Get("Content-Type"))
				continue
			}
			if want := f.read(t, key); !bytes.Equal(rec.Body.Bytes(), want) {
				t.Errorf("%s: served %d bytes, not the %d of the S3 object", name, rec.Body.Len(), len(want))
			}
			m, err := jpeg.Decode(bytes.NewReader(rec.Body.Bytes()))
			if err != nil {
				t.Errorf("%s: served image does not decode: %v", name, err)
			} else if got := m.Bounds().Size(); got != image.Pt(tc.w, tc.h) {
				t.Errorf("%s: served image is %v, want %dx%d", name, got, tc.w, tc.h)
			}
		}
	})
}

// s3Flow is the app built over a fresh demo database of one dialect and a
// store on a fresh S3 peer.
type s3Flow struct {
	client *testenv.Client
	app    *app.App
	store  *storage.Store
	peer   *url.URL // the S3 peer's address
	clock  *testenv.Clock
}

func newS3Flow(t *testing.T, dialect string) *s3Flow {
	t.Helper()
	store, peer := openS3Peer(t)
	db := testenv.Fresh(t, dialect, testenv.DemoSignIn)
	clock := testenv.NewWallClock()
	client, a := testenv.NewCachedClient(t, db, nil, app.WithStore(store), app.WithClock(clock.Now),
		app.WithLoaderWait(50*time.Millisecond))
	t.Cleanup(func() { flowNoErrorLogs(t, client.Logs) })
	return &s3Flow{client: client, app: a, store: store, peer: peer, clock: clock}
}

// signIn signs in the demo account with role, with a cookie.
func (f *s3Flow) signIn(t *testing.T, role string) *testenv.Caller {
	t.Helper()
	acct := testenv.DemoAccount(t, role)
	c := f.client.NewCaller()
	c.SignIn(t, acct.Email, acct.Password, testenv.CookieTransport)
	return c
}

// lessonID returns the global ID of the demo lesson, as c sees it.
func (f *s3Flow) lessonID(t *testing.T, c *testenv.Caller) string {
	t.Helper()
	r := c.Query(t, `query($course: String!, $lesson: String!) { lesson(courseSlug: $course, lessonSlug: $lesson) { id } }`,
		map[string]any{"course": s3CourseSlug, "lesson": s3LessonSlug})
	var l *struct{ ID string }
	r.Field(t, "lesson", &l)
	if l == nil {
		t.Fatalf("no lesson %s/%s: %s", s3CourseSlug, s3LessonSlug, r.Raw)
	}
	return l.ID
}

// presigned parses a URL that must be a SigV4-presigned request for method
// on the S3 peer's bucket.
func (f *s3Flow) presigned(t *testing.T, raw, method string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s URL %q: %v", method, raw, err)
	}
	q := u.Query()
	peer := f.peer
	if u.Scheme != peer.Scheme || u.Host != peer.Host || !strings.HasPrefix(u.Path, "/"+s3Bucket+"/") {
		t.Errorf("%s URL %q does not point into bucket %s at the S3 peer %s", method, raw, s3Bucket, peer)
	}
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" || q.Get("X-Amz-Signature") == "" ||
		!strings.HasPrefix(q.Get("X-Amz-Credential"), s3AccessKey+"/") {
		t.Errorf("%s URL %q is not presigned with the test credentials", method, raw)
	}
	if strings.Contains(raw, s3SecretKey) {
		t.Errorf("%s URL contains the secret key", method)
	}
	return u
}

// objects lists the bucket below prefix through the store.
func (f *s3Flow) objects(t *testing.T, prefix string) []storage.Object {
	t.Helper()
	var out []storage.Object
	for o, err := range f.store.List(context.Background(), prefix) {
		if err != nil {
			t.Fatalf("list %s: %v", prefix, err)
		}
		out = append(out, o)
	}
	return out
}

func (f *s3Flow) assertObjects(t *testing.T, prefix string, n int) {
	t.Helper()
	if got := f.objects(t, prefix); len(got) != n {
		t.Errorf("objects below %s = %+v, want %d", prefix, got, n)
	}
}

func (f *s3Flow) assertNoObjects(t *testing.T, prefix string) {
	t.Helper()
	f.assertObjects(t, prefix, 0)
}

// read returns the object at key, read from S3 through the store.
func (f *s3Flow) read(t *testing.T, key string) []byte {
	t.Helper()
	r, err := f.store.NewReader(context.Background(), key)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// put sends body to up's URL as a browser would: with exactly the headers
// the server returned, except those in change (a nil value drops one), and
// a Content-Length of the body's true size. It returns the status and
// body of the answer.
func s3Put(t *testing.T, up flowUpload, body []byte, change http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(up.Method, up.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range up.Headers {
		req.Header.Add(h.Name, h.Value)
	}
	for k, v := range change {
		req.Header.Del(k)
		for _, s := range v {
			req.Header.Add(k, s)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", up.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b)
}

// fetch GETs raw with the default client and returns the answer and its
// body.
func s3Fetch(t *testing.T, raw string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Get(raw)
	if err != nil {
		t.Fatalf("GET %s: %v", raw, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", raw, err)
	}
	return resp, b
}

// s3DevConfig is the configuration NewCachedClient builds the app with.
func s3DevConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// setS3Env gives the AWS SDK the test credentials and keeps the machine's
// own AWS configuration out. The tests that call it set it before any of
// their subtests run in parallel.
func setS3Env(t *testing.T) {
	t.Helper()
	missing := filepath.Join(t.TempDir(), "absent")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           s3AccessKey,
		"AWS_SECRET_ACCESS_KEY":       s3SecretKey,
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

// openS3Peer starts an S3 protocol server on loopback (gofakes3 over
// memory, one bucket) and opens the S3 driver on it, path-style. gofakes3
// checks no signature, so it sits behind sigV4Gate, which checks
// presigned requests as S3 does.
func openS3Peer(t *testing.T) (*storage.Store, *url.URL) {
	t.Helper()
	mem := s3mem.New()
	if err := mem.CreateBucket(s3Bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sigV4Gate{next: gofakes3.New(mem).Server()})
	cfg := config.StorageConfig{Driver: config.StorageS3, Bucket: s3Bucket, Region: s3Region, Endpoint: srv.URL, UsePathStyle: true}
	s, err := storage.Open(context.Background(), cfg, storage.Options{})
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
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return s, u
}

// sigV4Gate checks what S3 checks of a presigned request (AWS Signature
// Version 4 in the query string) before passing it on: the credential, the
// expiry, and the signature over the method, path, query and every signed
// header as received, so a request that sends another Content-Length or
// Content-Type than was signed is refused with 403 SignatureDoesNotMatch.
// Requests signed in the Authorization header (the SDK's own) pass when
// they name the test credential.
type sigV4Gate struct{ next http.Handler }

func (g sigV4Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("X-Amz-Signature") {
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+s3AccessKey+"/") {
			s3Error(w, "AccessDenied", "the request is not signed with the test credential")
			return
		}
		g.next.ServeHTTP(w, r)
		return
	}
	if code, msg := checkPresigned(r, q, time.Now()); code != "" {
		s3Error(w, code, msg)
		return
	}
	g.next.ServeHTTP(w, r)
}

func s3Error(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, "<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}

// checkPresigned returns S3's error code and message for a presigned
// request, or "" when it is good.
func checkPresigned(r *http.Request, q url.Values, now time.Time) (code, msg string) {
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return "AuthorizationQueryParametersError", "unsupported algorithm"
	}
	cred := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(cred) != 5 || cred[0] != s3AccessKey || cred[2] != s3Region || cred[3] != "s3" || cred[4] != "aws4_request" {
		return "InvalidAccessKeyId", "unknown credential scope " + q.Get("X-Amz-Credential")
	}
	amzDate := q.Get("X-Amz-Date")
	signedAt, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || amzDate[:8] != cred[1] {
		return "AuthorizationQueryParametersError", "bad X-Amz-Date"
	}
	expires, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || expires < 1 || expires > 7*24*3600 {
		return "AuthorizationQueryParametersError", "bad X-Amz-Expires"
	}
	if now.After(signedAt.Add(time.Duration(expires) * time.Second)) {
		return "AccessDenied", "Request has expired"
	}
	signed := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	if !slices.Contains(signed, "host") || !slices.IsSorted(signed) {
		return "AuthorizationQueryParametersError", "bad X-Amz-SignedHeaders"
	}

	var params []string
	for k, vs := range q {
		if k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			params = append(params, sigV4Escape(k)+"="+sigV4Escape(v))
		}
	}
	sort.Strings(params)
	var headers strings.Builder
	for _, h := range signed {
		headers.WriteString(h + ":" + sigV4HeaderValue(r, h) + "\n")
	}
	canonical := strings.Join([]string{r.Method, r.URL.EscapedPath(), strings.Join(params, "&"),
		headers.String(), strings.Join(signed, ";"), "UNSIGNED-PAYLOAD"}, "\n")
	scope := strings.Join(cred[1:], "/")
	digest := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(digest[:])
	key := []byte("AWS4" + s3SecretKey)
	for _, part := range cred[1:] {
		key = sigV4HMAC(key, part)
	}
	want := sigV4HMAC(key, toSign)
	got, err := hex.DecodeString(q.Get("X-Amz-Signature"))
	if err != nil || !hmac.Equal(got, want) {
		return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
	}
	return "", ""
}

// sigV4HeaderValue is a signed header's value as the canonical request takes
// it: trimmed, inner runs of spaces collapsed, repeated values joined.
func sigV4HeaderValue(r *http.Request, name string) string {
	var v string
	switch name {
	case "host":
		v = r.Host
	case "content-length":
		v = r.Header.Get("Content-Length")
		if v == "" && r.ContentLength >= 0 {
			v = strconv.FormatInt(r.ContentLength, 10)
		}
	default:
		v = strings.Join(r.Header.Values(name), ",")
	}
	return strings.Join(strings.Fields(v), " ")
}

// sigV4Escape percent-encodes every byte but the unreserved ones, as SigV4
// wants.
func sigV4Escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func sigV4HMAC(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
