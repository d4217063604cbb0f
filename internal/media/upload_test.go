package media_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"lectern/ent/asset"
	"lectern/internal/app"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// These tests run the upload flow on the file store, through the same
// handler the server serves: GraphQL for the mutations, Lectern's own
// signed routes for the bytes. The S3 tests (s3_test.go) cover the bucket.

// fileFlow is the app over a fresh demo database of one dialect and a file
// store in a temporary directory.
type fileFlow struct {
	client *testenv.Client
	app    *app.App
	db     *database.DB
}

func newFileFlow(t *testing.T, dialect string, edit func(*config.Config)) *fileFlow {
	t.Helper()
	db := testenv.Fresh(t, dialect, testenv.DemoSignIn)
	client, a := testenv.NewCachedClient(t, db, edit, app.WithLoaderWait(50*time.Millisecond))
	t.Cleanup(func() { s3AssertNoErrorLogs(t, client.Logs) })
	return &fileFlow{client: client, app: a, db: db}
}

func (f *fileFlow) signIn(t *testing.T, role string) *testenv.Caller {
	t.Helper()
	acct := testenv.DemoAccount(t, role)
	c := f.client.NewCaller()
	c.SignIn(t, acct.Email, acct.Password, testenv.CookieTransport)
	return c
}

// stranger signs in a new verified learner, enrolled nowhere.
func (f *fileFlow) stranger(t *testing.T) *testenv.Caller {
	t.Helper()
	const pw = "a learner enrolled nowhere"
	u := testenv.CreateAccount(t, f.db, testenv.Account{Password: pw, VerifiedAt: time.Now()})
	c := f.client.NewCaller()
	c.SignIn(t, u.Email, pw, testenv.CookieTransport)
	return c
}

// declare asks for an upload and returns the payload as it came.
func declare(t *testing.T, c *testenv.Caller, in map[string]any) (*s3Upload, []s3UserError, testenv.Reply) {
	t.Helper()
	r := c.Query(t, `mutation($in: CreateUploadInput!) { createUpload(input: $in) {
		upload { id url method headers { name value } } userErrors { code field message } } }`, map[string]any{"in": in})
	var p struct {
		Upload     *s3Upload
		UserErrors []s3UserError
	}
	if len(r.Errors) == 0 {
		r.Field(t, "createUpload", &p)
	}
	return p.Upload, p.UserErrors, r
}

// declaration is createUpload's input for data.
func declaration(purpose, filename, contentType string, data []byte) map[string]any {
	sum := sha256.Sum256(data)
	return map[string]any{"purpose": purpose, "filename": filename, "contentType": contentType,
		"byteSize": len(data), "checksumSha256": hex.EncodeToString(sum[:])}
}

// upload declares data and fails the test unless an upload comes back.
func upload(t *testing.T, c *testenv.Caller, in map[string]any) s3Upload {
	t.Helper()
	up, ue, r := declare(t, c, in)
	if up == nil || len(ue) > 0 {
		t.Fatalf("createUpload = %s", r.Raw)
	}
	return *up
}

// put sends body to up's URL through the app's handler with exactly the
// headers it was given.
func (f *fileFlow) put(t *testing.T, up s3Upload, body []byte) int {
	t.Helper()
	u, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(up.Method, u.RequestURI(), bytes.NewReader(body))
	for _, h := range up.Headers {
		req.Header.Set(h.Name, h.Value)
	}
	rec := httptest.NewRecorder()
	f.client.Handler.ServeHTTP(rec, req)
	return rec.Code
}

// get fetches raw (an absolute URL of the app) through its handler.
func (f *fileFlow) get(t *testing.T, raw string) *httptest.ResponseRecorder {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	f.client.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.RequestURI(), nil))
	return rec
}

// complete calls completeUpload and returns its payload.
func complete(t *testing.T, c *testenv.Caller, id string) s3CompletePayload {
	t.Helper()
	r := c.Query(t, s3CompleteDoc, map[string]any{"id": id})
	var p s3CompletePayload
	r.Field(t, "completeUpload", &p)
	return p
}

// assets counts the asset rows.
func (f *fileFlow) assets(t *testing.T) int {
	t.Helper()
	n, err := f.db.Ent.Asset.Query().Count(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// objectExists reports whether the store holds key.
func (f *fileFlow) objectExists(t *testing.T, key string) bool {
	t.Helper()
	ok, err := f.app.Store.Exists(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// objectKey is the key of upload id, read from its row.
func (f *fileFlow) objectKey(t *testing.T, id string) string {
	t.Helper()
	a, err := f.db.Ent.Asset.Get(viewer.SystemContext(context.Background()), s3UUID(t, id))
	if err != nil {
		t.Fatal(err)
	}
	return a.ObjectKey
}

func zipFile(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.Create("notes.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(f, strings.Repeat("not an image ", 50))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestUploadRefusesBadDeclarations: every declaration a purpose does not
// take is a user error at its field, and nothing is created.
func TestUploadRefusesBadDeclarations(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		f := newFileFlow(t, dialect, nil)
		instructor := f.signIn(t, "INSTRUCTOR")
		pdf := s3PDF(2048)
		good := func(change map[string]any) map[string]any {
			in := declaration("LESSON_ATTACHMENT", "notes.pdf", "application/pdf", pdf)
			for k, v := range change {
				in[k] = v
			}
			return in
		}
		for _, tc := range []struct {
			name   string
			in     map[string]any
			code   string
			field  string
			caller *testenv.Caller
		}{
			{"TooLarge", good(map[string]any{"byteSize": 50<<20 + 1}), "TOO_LARGE", "byteSize", instructor},
			{"AvatarTooLarge", declaration("AVATAR", "me.png", "image/png", make([]byte, 2<<20+1)), "TOO_LARGE", "byteSize", instructor},
			{"ZeroBytes", good(map[string]any{"byteSize": 0}), "INVALID", "byteSize", instructor},
			{"NegativeSize", good(map[string]any{"byteSize": -5}), "INVALID", "byteSize", instructor},
			{"SVGAsCover", declaration("COURSE_COVER", "c.svg", "image/svg+xml", []byte("<svg/>")), "CONTENT_TYPE_NOT_ALLOWED", "contentType", instructor},
			{"HTMLAttachment", good(map[string]any{"contentType": "text/html"}), "CONTENT_TYPE_NOT_ALLOWED", "contentType", instructor},
			{"NotAMediaType", good(map[string]any{"contentType": "pdf please"}), "INVALID", "contentType", instructor},
			{"Slash", good(map[string]any{"filename": "../../etc/passwd"}), "INVALID", "filename", instructor},
			{"Backslash", good(map[string]any{"filename": `C:\notes.pdf`}), "INVALID", "filename", instructor},
			{"NUL", good(map[string]any{"filename": "notes\x00.pdf"}), "INVALID", "filename", instructor},
			{"Newline", good(map[string]any{"filename": "notes\r\n.pdf"}), "INVALID", "filename", instructor},
			{"DirectionOverride", good(map[string]any{"filename": "fdp\u202e.exe"}), "INVALID", "filename", instructor},
			{"InvalidUTF8", good(map[string]any{"filename": "notes\xff.pdf"}), "INVALID", "filename", instructor},
			{"ThousandCharacters", good(map[string]any{"filename": strings.Repeat("n", 996) + ".pdf"}), "INVALID", "filename", instructor},
			{"Blank", good(map[string]any{"filename": "   "}), "INVALID", "filename", instructor},
			{"ChecksumShort", good(map[string]any{"checksumSha256": "abc"}), "INVALID", "checksumSha256", instructor},
			{"ChecksumNotHex", good(map[string]any{"checksumSha256": strings.Repeat("zz", 32)}), "INVALID", "checksumSha256", instructor},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := f.assets(t)
				up, ue, r := declare(t, tc.caller, tc.in)
				if len(r.Errors) > 0 {
					// NUL and invalid UTF-8 never reach the resolver:
					// every string argument is refused with them.
					if tc.name != "InvalidUTF8" && tc.name != "NUL" || r.OnlyError(t).Extensions.Code != "BAD_USER_INPUT" {
						t.Fatalf("errors: %s", r.Raw)
					}
				} else if up != nil || len(ue) == 0 || ue[0].Code != tc.code || strings.Join(ue[0].Field, ".") != "input."+tc.field {
					t.Errorf("createUpload = %s, want %s at input.%s", r.Raw, tc.code, tc.field)
				}
				if after := f.assets(t); after != before {
					t.Errorf("assets: %d → %d", before, after)
				}
			})
		}

		t.Run("LearnersUploadNoCourseFiles", func(t *testing.T) {
			learner := f.signIn(t, "LEARNER")
			_, _, r := declare(t, learner, declaration("COURSE_COVER", "c.png", "image/png", s3PNG(t, 10, 10)))
			if e := r.OnlyError(t); e.Extensions.Code != "FORBIDDEN" {
				t.Errorf("createUpload as a learner = %s, want FORBIDDEN", r.Raw)
			}
		})
		t.Run("AnonymousMustSignIn", func(t *testing.T) {
			_, _, r := declare(t, f.client.NewCaller(), declaration("AVATAR", "me.png", "image/png", s3PNG(t, 10, 10)))
			if e := r.OnlyError(t); e.Extensions.Code != "UNAUTHENTICATED" {
				t.Errorf("createUpload anonymously = %s, want UNAUTHENTICATED", r.Raw)
			}
		})
	})
}

// TestUploadRejectsWhatWasNotDeclared: completeUpload accepts only the
// declared bytes of an allowed type; anything else is REJECTED for good
// and its object deleted. The signed PUT holds the client to the declared
// type and size.
func TestUploadRejectsWhatWasNotDeclared(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		f := newFileFlow(t, dialect, nil)
		learner := f.signIn(t, "LEARNER")

		reject := func(t *testing.T, declared, sent []byte, contentType, want string) {
			t.Helper()
			in := declaration("AVATAR", "me.png", contentType, declared)
			up := upload(t, learner, in)
			if code := f.put(t, up, sent); code != http.StatusOK {
				t.Fatalf("PUT = %d", code)
			}
			key := f.objectKey(t, up.ID)
			p := complete(t, learner, up.ID)
			if p.Asset == nil || p.Asset.Status != "REJECTED" || p.Asset.RejectionReason == nil || *p.Asset.RejectionReason != want {
				t.Fatalf("completeUpload = %+v, want REJECTED %s", p, want)
			}
			if f.objectExists(t, key) {
				t.Errorf("the rejected object %s is still stored", key)
			}
			// Completing again answers the same, and the file stays gone.
			if again := complete(t, learner, up.ID); again.Asset == nil || again.Asset.Status != "REJECTED" {
				t.Errorf("completing again = %+v", again)
			}
		}
		t.Run("ZIPAsPNG", func(t *testing.T) {
			z := zipFile(t)
			reject(t, z, z, "image/png", "CONTENT_TYPE_NOT_ALLOWED")
		})
		t.Run("HTMLAsPNG", func(t *testing.T) {
			h := []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
			reject(t, h, h, "image/png", "CONTENT_TYPE_NOT_ALLOWED")
		})
		t.Run("SVGAsPNG", func(t *testing.T) {
			s := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`)
			reject(t, s, s, "image/png", "CONTENT_TYPE_NOT_ALLOWED")
		})
		t.Run("PNGAsJPEG", func(t *testing.T) {
			p := s3PNG(t, 20, 20)
			reject(t, p, p, "image/jpeg", "CONTENT_TYPE_MISMATCH")
		})
		t.Run("WrongChecksum", func(t *testing.T) {
			p := s3PNG(t, 20, 20)
			other := bytes.Clone(p)
			other[len(other)-5] ^= 0xff
			reject(t, p, other, "image/png", "CHECKSUM_MISMATCH")
		})

		t.Run("BodyLargerThanDeclared", func(t *testing.T) {
			p := s3PNG(t, 20, 20)
			up := upload(t, learner, declaration("AVATAR", "me.png", "image/png", p))
			if code := f.put(t, up, append(bytes.Clone(p), 0)); code != http.StatusRequestEntityTooLarge {
				t.Errorf("PUT of one byte more = %d, want 413", code)
			}
			if f.objectExists(t, f.objectKey(t, up.ID)) {
				t.Error("the oversize body was kept")
			}
		})
		t.Run("CompleteBeforePUT", func(t *testing.T) {
			p := s3PNG(t, 20, 20)
			up := upload(t, learner, declaration("AVATAR", "me.png", "image/png", p))
			early := complete(t, learner, up.ID)
			if early.Asset != nil || len(early.UserErrors) != 1 || early.UserErrors[0].Code != "NOT_UPLOADED" {
				t.Fatalf("completing before the PUT = %+v, want NOT_UPLOADED", early)
			}
			if code := f.put(t, up, p); code != http.StatusOK {
				t.Fatalf("PUT = %d", code)
			}
			if done := complete(t, learner, up.ID); done.Asset == nil || done.Asset.Status != "PROCESSING" {
				t.Errorf("completing after the PUT = %+v, want PROCESSING", done)
			}
		})
		t.Run("TamperedOrReplayedURL", func(t *testing.T) {
			p := s3PNG(t, 20, 20)
			up := upload(t, learner, declaration("AVATAR", "me.png", "image/png", p))
			u, _ := url.Parse(up.URL)
			q := u.Query()
			q.Set("size", "99999")
			u.RawQuery = q.Encode()
			tampered := up
			tampered.URL = u.String()
			if code := f.put(t, tampered, p); code != http.StatusForbidden {
				t.Errorf("PUT with a changed size = %d, want 403", code)
			}
			if code := f.put(t, up, p); code != http.StatusOK {
				t.Fatalf("PUT = %d", code)
			}
			if code := f.put(t, up, p); code != http.StatusPreconditionFailed {
				t.Errorf("PUT again = %d, want 412: a signed upload writes once", code)
			}
		})
	})
}

// TestUploadIsTheUploaders: an upload is usable by its uploader only, for
// its purpose only, in one place only.
func TestUploadIsTheUploaders(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		f := newFileFlow(t, dialect, nil)
		learner := f.signIn(t, "LEARNER")
		instructor := f.signIn(t, "INSTRUCTOR")
		p := s3PNG(t, 40, 40)
		up := upload(t, learner, declaration("AVATAR", "me.png", "image/png", p))
		if code := f.put(t, up, p); code != http.StatusOK {
			t.Fatalf("PUT = %d", code)
		}

		userErr := func(t *testing.T, r testenv.Reply, field, want string) {
			t.Helper()
			var payload struct{ UserErrors []s3UserError }
			r.Field(t, field, &payload)
			if len(payload.UserErrors) != 1 || payload.UserErrors[0].Code != want {
				t.Errorf("%s = %s, want %s", field, r.Raw, want)
			}
		}
		t.Run("SomeoneElsesUploadIsNotFound", func(t *testing.T) {
			userErr(t, instructor.Query(t, s3CompleteDoc, map[string]any{"id": up.ID}), "completeUpload", "NOT_FOUND")
			userErr(t, instructor.Query(t, `mutation($id: ID!) { setAvatar(uploadId: $id) { userErrors { code field message } } }`,
				map[string]any{"id": up.ID}), "setAvatar", "NOT_FOUND")
		})
		if got := complete(t, learner, up.ID); got.Asset == nil || got.Asset.Status != "PROCESSING" {
			t.Fatalf("completeUpload = %+v", got)
		}
		t.Run("WrongPurpose", func(t *testing.T) {
			cover := upload(t, instructor, declaration("LESSON_ATTACHMENT", "n.pdf", "application/pdf", s3PDF(500)))
			if code := f.put(t, cover, s3PDF(500)); code != http.StatusOK {
				t.Fatalf("PUT = %d", code)
			}
			complete(t, instructor, cover.ID)
			userErr(t, instructor.Query(t, `mutation($id: ID!) { setAvatar(uploadId: $id) { userErrors { code field message } } }`,
				map[string]any{"id": cover.ID}), "setAvatar", "WRONG_PURPOSE")
		})
		t.Run("AttachedOnce", func(t *testing.T) {
			set := `mutation($id: ID!) { setAvatar(uploadId: $id) { user { avatar { status } } userErrors { code field message } } }`
			r := learner.Query(t, set, map[string]any{"id": up.ID})
			var first struct{ UserErrors []s3UserError }
			r.Field(t, "setAvatar", &first)
			if len(first.UserErrors) > 0 {
				t.Fatalf("setAvatar = %s", r.Raw)
			}
			// The same upload again is the avatar already: nothing to do.
			r = learner.Query(t, set, map[string]any{"id": up.ID})
			r.Field(t, "setAvatar", &first)
			if len(first.UserErrors) > 0 {
				t.Errorf("setAvatar again = %s", r.Raw)
			}
		})
	})
}

// TestAttachmentDownloads: an attachment's URL is for those who may read
// its lesson, and it downloads under its name; removing it deletes the
// file only once the removal has committed, in a job.
func TestAttachmentDownloads(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		f := newFileFlow(t, dialect, nil)
		instructor := f.signIn(t, "INSTRUCTOR")
		pdf := s3PDF(4096)
		up := upload(t, instructor, declaration("LESSON_ATTACHMENT", "Week 1 notes.pdf", "application/pdf", pdf))
		if code := f.put(t, up, pdf); code != http.StatusOK {
			t.Fatalf("PUT = %d", code)
		}
		if got := complete(t, instructor, up.ID); got.Asset == nil || got.Asset.Status != "READY" || got.Asset.ContentType != "application/pdf" {
			t.Fatalf("completeUpload = %+v", got)
		}
		lesson := (&s3Flow{}).lessonID(t, instructor)
		// Attachments are as private as their lesson: make it one for
		// enrolled learners only.
		r0 := instructor.Query(t, `mutation($id: ID!) { updateLesson(input: {id: $id, access: ENROLLED}) { userErrors { code } } }`,
			map[string]any{"id": lesson})
		var upd struct{ UserErrors []s3UserError }
		if r0.Field(t, "updateLesson", &upd); len(upd.UserErrors) > 0 {
			t.Fatalf("updateLesson = %s", r0.Raw)
		}
		r := instructor.Query(t, `mutation($l: ID!, $u: ID!) { addLessonAttachment(input: {lessonId: $l, uploadId: $u, title: "Notes"}) {
			lesson { attachments { id title filename url } } userErrors { code field message } } }`, map[string]any{"l": lesson, "u": up.ID})
		var added struct {
			Lesson struct{ Attachments []s3Attachment }
		}
		r.Field(t, "addLessonAttachment", &added)
		if len(added.Lesson.Attachments) != 1 || added.Lesson.Attachments[0].URL == nil {
			t.Fatalf("addLessonAttachment = %s", r.Raw)
		}
		att := added.Lesson.Attachments[0]

		rec := f.get(t, *att.URL)
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), pdf) {
			t.Fatalf("GET the attachment = %d (%d bytes)", rec.Code, rec.Body.Len())
		}
		if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "Week 1 notes.pdf") {
			t.Errorf("Content-Disposition = %q", cd)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Error("no X-Content-Type-Options: nosniff")
		}

		for _, who := range []struct {
			name   string
			caller *testenv.Caller
		}{{"Anonymous", f.client.NewCaller()}, {"LearnerNotEnrolled", f.stranger(t)}} {
			t.Run(who.name+"SeesNoURL", func(t *testing.T) {
				r := who.caller.Query(t, `query($id: ID!) { node(id: $id) { ... on Asset { title url } } }`, map[string]any{"id": att.ID})
				var n *struct {
					Title string
					URL   *string
				}
				r.Field(t, "node", &n)
				if n == nil || n.Title != "Notes" || n.URL != nil {
					t.Errorf("node(attachment) = %s, want it seen without a URL", r.Raw)
				}
			})
		}

		t.Run("RemovalDeletesTheFileAfterCommit", func(t *testing.T) {
			key := f.objectKey(t, up.ID)
			jobs := func() int {
				var n int
				if err := f.db.SQL.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'delete_objects'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			before := jobs()
			r := instructor.Query(t, `mutation($id: ID!) { removeLessonAttachment(id: $id) { lesson { attachments { id } } userErrors { code } } }`,
				map[string]any{"id": att.ID})
			var removed struct {
				Lesson struct{ Attachments []s3Attachment }
			}
			r.Field(t, "removeLessonAttachment", &removed)
			if len(removed.Lesson.Attachments) != 0 {
				t.Fatalf("removeLessonAttachment = %s", r.Raw)
			}
			if got := jobs(); got != before+1 {
				t.Errorf("delete_objects jobs: %d → %d, want one more", before, got)
			}
			if !f.objectExists(t, key) {
				t.Error("the file went before its job ran")
			}
			n, err := f.db.Ent.Asset.Query().Where(asset.ObjectKey(key)).Count(viewer.SystemContext(context.Background()))
			if err != nil || n != 0 {
				t.Errorf("asset rows with the key: %d (%v)", n, err)
			}
		})
	})
}

// TestDraftCoverIsNotPublic: a draft course's cover is shown to its staff
// through a signed URL, and the public route does not serve it until the
// course is published.
func TestDraftCoverIsNotPublic(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		f := newFileFlow(t, dialect, nil)
		instructor := f.signIn(t, "INSTRUCTOR")
		r := instructor.Query(t, `mutation { createCourse(input: {title: "Covered draft", slug: "covered-draft"}) { course { id } userErrors { code } } }`, nil)
		var created struct{ Course struct{ ID string } }
		r.Field(t, "createCourse", &created)
		img := s3PNG(t, 900, 500)
		up := upload(t, instructor, declaration("COURSE_COVER", "cover.png", "image/png", img))
		if code := f.put(t, up, img); code != http.StatusOK {
			t.Fatalf("PUT = %d", code)
		}
		complete(t, instructor, up.ID)
		if err := f.app.Media.Process(context.Background(), s3UUID(t, up.ID), false); err != nil {
			t.Fatal(err)
		}
		r = instructor.Query(t, `mutation($c: ID!, $u: ID!) { setCourseCover(input: {courseId: $c, uploadId: $u}) {
			course { cover { status width height url(size: SMALL) } } userErrors { code field message } } }`,
			map[string]any{"c": created.Course.ID, "u": up.ID})
		var set struct {
			Course struct {
				Cover *struct {
					Status        string
					Width, Height int
					URL           *string
				}
			}
		}
		r.Field(t, "setCourseCover", &set)
		cover := set.Course.Cover
		if cover == nil || cover.Status != "READY" || cover.Width != 900 || cover.URL == nil {
			t.Fatalf("setCourseCover = %s", r.Raw)
		}
		if !strings.Contains(*cover.URL, "/v1/files/public/") {
			t.Errorf("a draft's cover URL is %q, want a signed /v1/files/ URL", *cover.URL)
		}
		if rec := f.get(t, *cover.URL); rec.Code != http.StatusOK {
			t.Errorf("GET the signed cover URL = %d", rec.Code)
		}
		u, _ := url.Parse(*cover.URL)
		key := strings.TrimPrefix(u.Path, "/v1/files/")
		public := "http://example.invalid/v1/assets/" + key
		if rec := f.get(t, public); rec.Code != http.StatusNotFound {
			t.Errorf("GET the public route of a draft's cover = %d, want 404", rec.Code)
		}
	})
}

// TestUploadDailyBytes: beyond the day's allowance createUpload is
// RATE_LIMITED with the time to wait, and a refused declaration costs
// nothing.
func TestUploadDailyBytes(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		f := newFileFlow(t, dialect, func(c *config.Config) { c.Storage.DailyUploadBytes = 3 << 20 })
		learner := f.signIn(t, "LEARNER")
		big := make([]byte, 2<<20)
		upload(t, learner, declaration("AVATAR", "a.png", "image/png", big))
		_, _, r := declare(t, learner, declaration("AVATAR", "b.png", "image/png", big))
		e := r.OnlyError(t)
		if e.Extensions.Code != "RATE_LIMITED" {
			t.Fatalf("second 2 MiB upload = %s, want RATE_LIMITED", r.Raw)
		}
		if after, _ := r.ErrorExtension(t, 0, "retryAfterSeconds").(float64); after <= 0 {
			t.Errorf("retryAfterSeconds = %v", r.ErrorExtension(t, 0, "retryAfterSeconds"))
		}
		// What is left still fits.
		upload(t, learner, declaration("AVATAR", "c.png", "image/png", make([]byte, 1<<20)))
	})
}
