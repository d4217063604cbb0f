package media_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"lectern/ent/asset"
	"lectern/ent/user"
	"lectern/internal/app"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/gid"
	"lectern/internal/jobs"
	"lectern/internal/testenv"
)

// These tests run the upload flow on the file store through the handler
// the server serves: GraphQL POSTs, and PUTs and GETs of the signed URLs
// it hands out, sent to the same handler by their path and query (their
// host is API_BASE_URL).

// Demo content the tests work on: a published course the demo instructor
// owns, one of its ENROLLED lessons, a learner enrolled in it, the demo
// instructor's draft course, and the course the demo learner reviewed.
const (
	flowCourse        = "backend-development-from-first-principles"
	flowEnrolledLess  = "constraints-and-consistency"
	flowEnrolledEmail = "kenji.watanabe@example.com"
	flowDraftCourse   = "event-driven-systems"
	flowReviewedBy    = "postgresql-indexing-in-practice" // reviewed by the demo learner
	flowPassword      = "flow-test-password-9f3k"
)

// TestFlowAttachment runs a PDF through the whole flow: created, PUT with
// exactly the returned headers, completed (twice, to the same asset),
// attached to an ENROLLED lesson, and downloaded by those who may read the
// lesson, while others see the attachment without a URL.
func TestFlowAttachment(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newFlowEnv(t, dialect, nil)
		instructor := e.signInDemo(t, "INSTRUCTOR")
		const filename = "Week 1 – notes.pdf"
		pdf := flowPDF(4000)

		up := flowCreate(t, instructor, "LESSON_ATTACHMENT", filename, "application/pdf", pdf)
		if up.Method != http.MethodPut {
			t.Errorf("upload method = %q, want PUT", up.Method)
		}
		if !strings.HasPrefix(up.URL, e.cfg.APIBaseURL+"/v1/files/uploads/") {
			t.Errorf("upload URL %q is not below %s/v1/files/uploads/", up.URL, e.cfg.APIBaseURL)
		}
		headers := map[string]string{}
		for _, h := range up.Headers {
			headers[h.Name] = h.Value
		}
		if want := map[string]string{"Content-Type": "application/pdf", "If-None-Match": "*"}; fmt.Sprint(headers) != fmt.Sprint(want) {
			t.Errorf("upload headers = %v, want %v", headers, want)
		}
		if exp, err := time.Parse(time.RFC3339, up.ExpiresAt); err != nil || !exp.After(time.Now()) {
			t.Errorf("upload expiresAt = %q (%v), want a time to come", up.ExpiresAt, err)
		}

		if rec := e.put(t, up, pdf, nil); rec.Code != http.StatusOK {
			t.Fatalf("PUT = %d %s, want 200", rec.Code, rec.Body)
		}
		// The URL uploads once: a replay cannot replace the file.
		if rec := e.put(t, up, pdf, nil); rec.Code != http.StatusPreconditionFailed {
			t.Errorf("replayed PUT = %d %s, want 412", rec.Code, rec.Body)
		}

		assets := e.assetCount(t)
		a := flowCompleteOK(t, instructor, up.ID)
		if a.Status != "READY" || a.ContentType != "application/pdf" || a.ByteSize != len(pdf) || a.Filename != filename ||
			a.RejectionReason != nil || a.FailureReason != nil {
			t.Fatalf("completed attachment = %+v, want READY application/pdf of %d bytes named %q", a, len(pdf), filename)
		}
		if want := gid.New("Asset", flowUUID(t, up.ID)).String(); a.ID != want {
			t.Errorf("asset id = %s, want %s (the upload's)", a.ID, want)
		}
		again := flowCompleteOK(t, instructor, up.ID)
		if again.ID != a.ID || again.Status != "READY" || again.ContentType != a.ContentType {
			t.Errorf("second completeUpload = %+v, want the same READY asset %+v", again, a)
		}
		if n := e.assetCount(t); n != assets {
			t.Errorf("assets after completing twice = %d, want %d", n, assets)
		}

		lessonID := e.lessonID(t, instructor, flowCourse, flowEnrolledLess)
		r := instructor.Query(t, flowAddAttachmentDoc, map[string]any{"lesson": lessonID, "upload": up.ID, "title": "Week 1 notes"})
		var added flowLessonPayload
		r.Field(t, "addLessonAttachment", &added)
		if len(added.UserErrors) > 0 || added.Lesson == nil || !slices.ContainsFunc(added.Lesson.Attachments, func(x flowAsset) bool { return x.ID == a.ID }) {
			t.Fatalf("addLessonAttachment = %s, want the lesson with the attachment", r.Raw)
		}

		// Staff and an enrolled learner get a signed download URL.
		enrolled := e.signInAs(t, flowEnrolledEmail)
		for who, c := range map[string]*testenv.Caller{"staff": instructor, "enrolled learner": enrolled} {
			att := e.attachment(t, c, flowCourse, flowEnrolledLess, a.ID)
			if att.URL == nil {
				t.Errorf("%s: attachment url = null, want a signed URL", who)
				continue
			}
			if att.Title == nil || *att.Title != "Week 1 notes" || att.Status != "READY" {
				t.Errorf("%s: attachment = %+v, want READY titled Week 1 notes", who, att)
			}
			if !strings.HasPrefix(*att.URL, e.cfg.APIBaseURL+"/v1/files/") {
				t.Errorf("%s: url %q is not a signed file URL", who, *att.URL)
			}
			rec := e.get(t, *att.URL)
			if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), pdf) {
				t.Errorf("%s: GET of the url = %d with %d bytes, want 200 with the %d uploaded", who, rec.Code, rec.Body.Len(), len(pdf))
				continue
			}
			h := rec.Header()
			if got := h.Get("Content-Type"); got != "application/pdf" {
				t.Errorf("%s: download Content-Type = %q, want application/pdf", who, got)
			}
			disp, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
			if err != nil || disp != "attachment" || params["filename"] != filename {
				t.Errorf("%s: Content-Disposition = %q (%v), want attachment named %q", who, h.Get("Content-Disposition"), err, filename)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s: X-Content-Type-Options = %q, want nosniff", who, got)
			}
			// The disposition is signed: rewriting it to show the file
			// inline on Lectern's origin is refused.
			u, _ := url.Parse(*att.URL)
			q := u.Query()
			q.Set("disposition", "inline")
			u.RawQuery = q.Encode()
			if rec := e.get(t, u.String()); rec.Code != http.StatusForbidden {
				t.Errorf("%s: GET with the disposition rewritten = %d, want 403", who, rec.Code)
			}
		}

		// Anyone sees that the lesson has the file, but only those who may
		// read the lesson get a URL.
		outsider := e.newLearner(t)
		for who, c := range map[string]*testenv.Caller{"anonymous": e.client.NewCaller(), "non-enrolled learner": outsider} {
			att := e.attachment(t, c, flowCourse, flowEnrolledLess, a.ID)
			if att.URL != nil {
				t.Errorf("%s: attachment url = %q, want null on an ENROLLED lesson", who, *att.URL)
			}
		}
	})
}

// TestUploadBadInput sends declarations the flow must refuse, each with its
// stable code at its field, and nothing stored for any of them.
func TestUploadBadInput(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newFlowEnv(t, dialect, nil)
		instructor := e.signInDemo(t, "INSTRUCTOR")
		learner := e.signInDemo(t, "LEARNER")
		sum := flowSum([]byte("some file"))

		type decl struct {
			purpose, filename, contentType string
			size                           int
			checksum                       string
		}
		ok := decl{"LESSON_ATTACHMENT", "notes.pdf", "application/pdf", 1000, sum}
		with := func(f func(*decl)) decl { d := ok; f(&d); return d }

		// Refused with userErrors: [code, field] pairs, in order.
		for name, tc := range map[string]struct {
			caller *testenv.Caller
			in     decl
			want   [][2]string
		}{
			"AttachmentTooLarge": {instructor, with(func(d *decl) { d.size = 50<<20 + 1 }), [][2]string{{"TOO_LARGE", "byteSize"}}},
			"AvatarTooLarge": {learner, decl{"AVATAR", "me.png", "image/png", 2<<20 + 1, sum},
				[][2]string{{"TOO_LARGE", "byteSize"}}},
			"HugeSize":        {instructor, with(func(d *decl) { d.size = 1<<31 - 1 }), [][2]string{{"TOO_LARGE", "byteSize"}}},
			"ZeroSize":        {instructor, with(func(d *decl) { d.size = 0 }), [][2]string{{"INVALID", "byteSize"}}},
			"NegativeSize":    {instructor, with(func(d *decl) { d.size = -5 }), [][2]string{{"INVALID", "byteSize"}}},
			"AvatarSVG":       {learner, decl{"AVATAR", "me.svg", "image/svg+xml", 100, sum}, [][2]string{{"CONTENT_TYPE_NOT_ALLOWED", "contentType"}}},
			"AttachmentHTML":  {instructor, with(func(d *decl) { d.contentType = "text/html" }), [][2]string{{"CONTENT_TYPE_NOT_ALLOWED", "contentType"}}},
			"NotAMediaType":   {instructor, with(func(d *decl) { d.contentType = "application/pdf; =" }), [][2]string{{"INVALID", "contentType"}}},
			"Slash":           {instructor, with(func(d *decl) { d.filename = "../../etc/passwd.pdf" }), [][2]string{{"INVALID", "filename"}}},
			"Backslash":       {instructor, with(func(d *decl) { d.filename = `C:\Windows\evil.pdf` }), [][2]string{{"INVALID", "filename"}}},
			"Tab":             {instructor, with(func(d *decl) { d.filename = "notes\t.pdf" }), [][2]string{{"INVALID", "filename"}}},
			"Newline":         {instructor, with(func(d *decl) { d.filename = "notes\r\nX-Evil: 1.pdf" }), [][2]string{{"INVALID", "filename"}}},
			"DirectionSwitch": {instructor, with(func(d *decl) { d.filename = "invoice\u202efdp.exe" }), [][2]string{{"INVALID", "filename"}}},
			"Blank":           {instructor, with(func(d *decl) { d.filename = "   " }), [][2]string{{"INVALID", "filename"}}},
			"DotDot":          {instructor, with(func(d *decl) { d.filename = ".." }), [][2]string{{"INVALID", "filename"}}},
			"Long":            {instructor, with(func(d *decl) { d.filename = strings.Repeat("a", 996) + ".pdf" }), [][2]string{{"INVALID", "filename"}}},
			"ChecksumShort":   {instructor, with(func(d *decl) { d.checksum = "abc123" }), [][2]string{{"INVALID", "checksumSha256"}}},
			"ChecksumNotHex":  {instructor, with(func(d *decl) { d.checksum = strings.Repeat("z", 64) }), [][2]string{{"INVALID", "checksumSha256"}}},
			"ChecksumBase64Junk": {instructor, with(func(d *decl) { d.checksum = strings.Repeat("!", 44) }),
				[][2]string{{"INVALID", "checksumSha256"}}},
			"EverythingWrong": {learner, decl{"AVATAR", "a/b", "text/html", 3 << 20, "nope"}, [][2]string{
				{"INVALID", "filename"}, {"CONTENT_TYPE_NOT_ALLOWED", "contentType"}, {"TOO_LARGE", "byteSize"}, {"INVALID", "checksumSha256"}}},
		} {
			before := e.assetCount(t)
			r := tc.caller.Query(t, flowCreateUploadDoc, map[string]any{"in": map[string]any{
				"purpose": tc.in.purpose, "filename": tc.in.filename, "contentType": tc.in.contentType,
				"byteSize": tc.in.size, "checksumSha256": tc.in.checksum}})
			var p flowCreatePayload
			r.Field(t, "createUpload", &p)
			var got [][2]string
			for _, ue := range p.UserErrors {
				if len(ue.Field) != 2 || ue.Field[0] != "input" || ue.Message == "" {
					t.Errorf("%s: userError %+v, want a message at [input, <field>]", name, ue)
					continue
				}
				got = append(got, [2]string{ue.Code, ue.Field[1]})
			}
			if p.Upload != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s: createUpload = %s, want no upload and userErrors %v", name, r.Raw, tc.want)
			}
			if n := e.assetCount(t); n != before {
				t.Errorf("%s: assets = %d after, %d before", name, n, before)
			}
		}

		// Refused before the domain sees them: the transport's text rule
		// (NUL and other control characters but tab, CR and LF), the
		// schema's length bound, and the purpose's roles.
		for name, tc := range map[string]struct {
			caller *testenv.Caller
			in     decl
			code   string
		}{
			"NUL":               {instructor, with(func(d *decl) { d.filename = "notes\x00.pdf" }), "BAD_USER_INPUT"},
			"Escape":            {instructor, with(func(d *decl) { d.filename = "notes\x1b[31m.pdf" }), "BAD_USER_INPUT"},
			"C1Control":         {instructor, with(func(d *decl) { d.filename = "notes\u0085.pdf" }), "BAD_USER_INPUT"},
			"InvalidUTF8":       {instructor, with(func(d *decl) { d.filename = "notes\xff.pdf" }), "BAD_USER_INPUT"},
			"OverSchemaMax":     {instructor, with(func(d *decl) { d.filename = strings.Repeat("b", 5000) + ".pdf" }), "BAD_USER_INPUT"},
			"LearnerForACourse": {learner, ok, "FORBIDDEN"},
		} {
			before := e.assetCount(t)
			r := tc.caller.Query(t, flowCreateUploadDoc, map[string]any{"in": map[string]any{
				"purpose": tc.in.purpose, "filename": tc.in.filename, "contentType": tc.in.contentType,
				"byteSize": tc.in.size, "checksumSha256": tc.in.checksum}})
			if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != tc.code {
				t.Errorf("%s: createUpload = %s, want one %s error", name, r.Raw, tc.code)
			}
			if raw, _ := r.Root("createUpload"); len(raw) > 0 && string(raw) != "null" {
				t.Errorf("%s: createUpload answered %s alongside the error", name, raw)
			}
			if n := e.assetCount(t); n != before {
				t.Errorf("%s: assets = %d after, %d before", name, n, before)
			}
		}

		// Nobody signed in uploads nothing.
		r := e.client.NewCaller().Query(t, flowCreateUploadDoc, map[string]any{"in": map[string]any{
			"purpose": ok.purpose, "filename": ok.filename, "contentType": ok.contentType, "byteSize": ok.size, "checksumSha256": ok.checksum}})
		if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "UNAUTHENTICATED" {
			t.Errorf("anonymous createUpload = %s, want UNAUTHENTICATED", r.Raw)
		}
	})
}

// TestUploadRejections sends files that are not what was declared, PUTs
// the signed URL does not allow, and uploads used where they do not
// belong.
func TestUploadRejections(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newFlowEnv(t, dialect, nil)
		instructor := e.signInDemo(t, "INSTRUCTOR")
		learner := e.signInDemo(t, "LEARNER")

		t.Run("ContentNotAsDeclared", func(t *testing.T) {
			svg := []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script></svg>` + "\n")
			html := []byte("<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(document.cookie)</script></body></html>\n")
			for name, tc := range map[string]struct {
				data   []byte
				reason string
			}{
				"ZIP":  {flowZIP(t), "CONTENT_TYPE_NOT_ALLOWED"},
				"SVG":  {svg, "CONTENT_TYPE_NOT_ALLOWED"},
				"HTML": {html, "CONTENT_TYPE_NOT_ALLOWED"},
				"JPEG": {flowJPEG(t, 64, 48), "CONTENT_TYPE_MISMATCH"}, // allowed, but not the PNG declared
			} {
				up := flowCreate(t, learner, "AVATAR", "me.png", "image/png", tc.data)
				key := e.key(t, up)
				if rec := e.put(t, up, tc.data, nil); rec.Code != http.StatusOK {
					t.Fatalf("%s: PUT = %d %s", name, rec.Code, rec.Body)
				}
				if !e.exists(t, key) {
					t.Fatalf("%s: the PUT stored nothing", name)
				}
				a := flowCompleteOK(t, learner, up.ID)
				if a.Status != "REJECTED" || a.RejectionReason == nil || *a.RejectionReason != tc.reason || a.URL != nil {
					t.Errorf("%s: completed = %+v, want REJECTED %s without a URL", name, a, tc.reason)
				}
				if e.exists(t, key) {
					t.Errorf("%s: the rejected file is still stored", name)
				}
				if again := flowCompleteOK(t, learner, up.ID); again.Status != "REJECTED" || again.ID != a.ID {
					t.Errorf("%s: completing again = %+v, want the same REJECTED asset", name, again)
				}
				r := learner.Query(t, flowSetAvatarDoc, map[string]any{"id": up.ID})
				var set flowUserPayload
				r.Field(t, "setAvatar", &set)
				flowWantUserError(t, name+": setAvatar with a rejected upload", r, set.UserErrors, "UPLOAD_NOT_USABLE", "uploadId")
			}
		})

		t.Run("ChecksumMismatch", func(t *testing.T) {
			pdf := flowPDF(1500)
			other := slices.Clone(pdf)
			other[100] ^= 1
			up := flowCreateSum(t, instructor, "LESSON_ATTACHMENT", "notes.pdf", "application/pdf", len(pdf), flowSum(other))
			if rec := e.put(t, up, pdf, nil); rec.Code != http.StatusOK {
				t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
			}
			a := flowCompleteOK(t, instructor, up.ID)
			if a.Status != "REJECTED" || a.RejectionReason == nil || *a.RejectionReason != "CHECKSUM_MISMATCH" {
				t.Errorf("completed = %+v, want REJECTED CHECKSUM_MISMATCH", a)
			}
			if e.exists(t, e.key(t, up)) {
				t.Error("the rejected file is still stored")
			}
		})

		t.Run("BodyLargerThanDeclared", func(t *testing.T) {
			pdf := flowPDF(2000)
			up := flowCreate(t, instructor, "LESSON_ATTACHMENT", "notes.pdf", "application/pdf", pdf)
			key := e.key(t, up)
			bigger := append(slices.Clone(pdf), "% one line too many\n"...)
			if rec := e.put(t, up, bigger, nil); rec.Code != http.StatusRequestEntityTooLarge {
				t.Errorf("PUT with a larger Content-Length = %d %s, want 413", rec.Code, rec.Body)
			}
			if rec := e.putChunked(t, up, bigger); rec.Code != http.StatusRequestEntityTooLarge {
				t.Errorf("chunked PUT of a larger body = %d %s, want 413", rec.Code, rec.Body)
			}
			if rec := e.put(t, up, pdf[:len(pdf)-1], nil); rec.Code != http.StatusBadRequest {
				t.Errorf("PUT of a smaller body = %d %s, want 400", rec.Code, rec.Body)
			}
			if rec := e.put(t, up, pdf, http.Header{"Content-Type": {"text/html"}}); rec.Code != http.StatusBadRequest {
				t.Errorf("PUT with another Content-Type = %d %s, want 400", rec.Code, rec.Body)
			}
			if e.exists(t, key) {
				t.Fatal("refused PUTs stored the file")
			}
			r := instructor.Query(t, flowCompleteDoc, map[string]any{"id": up.ID})
			var p flowCompletePayload
			r.Field(t, "completeUpload", &p)
			flowWantUserError(t, "completeUpload after refused PUTs", r, p.UserErrors, "NOT_UPLOADED", "id")
		})

		t.Run("CompleteBeforePut", func(t *testing.T) {
			pdf := flowPDF(1200)
			up := flowCreate(t, instructor, "LESSON_ATTACHMENT", "early.pdf", "application/pdf", pdf)
			for range 2 {
				r := instructor.Query(t, flowCompleteDoc, map[string]any{"id": up.ID})
				var p flowCompletePayload
				r.Field(t, "completeUpload", &p)
				if p.Asset != nil {
					t.Errorf("completeUpload before the PUT returned an asset: %s", r.Raw)
				}
				flowWantUserError(t, "completeUpload before the PUT", r, p.UserErrors, "NOT_UPLOADED", "id")
			}
			// The upload is still good.
			if rec := e.put(t, up, pdf, nil); rec.Code != http.StatusOK {
				t.Fatalf("PUT after the early complete = %d %s", rec.Code, rec.Body)
			}
			if a := flowCompleteOK(t, instructor, up.ID); a.Status != "READY" {
				t.Errorf("completed after the PUT = %+v, want READY", a)
			}
		})

		t.Run("TamperedURL", func(t *testing.T) {
			pdf := flowPDF(1000)
			up := flowCreate(t, instructor, "LESSON_ATTACHMENT", "notes.pdf", "application/pdf", pdf)
			u, err := url.Parse(up.URL)
			if err != nil {
				t.Fatal(err)
			}
			tamper := func(f func(q url.Values)) flowUpload {
				v := *u
				q := v.Query()
				f(q)
				v.RawQuery = q.Encode()
				cp := up
				cp.URL = v.String()
				return cp
			}
			longer := append(slices.Clone(pdf), '\n')
			for name, tc := range map[string]struct {
				up   flowUpload
				body []byte
			}{
				"Signature": {tamper(func(q url.Values) { q.Set("signature", flowFlipFirst(q.Get("signature"))) }), pdf},
				"Size":      {tamper(func(q url.Values) { q.Set("size", fmt.Sprint(len(longer))) }), longer},
				"Type":      {tamper(func(q url.Values) { q.Set("type", "text/html") }), pdf},
				"Expiry":    {tamper(func(q url.Values) { q.Set("expires", fmt.Sprint(time.Now().Add(24*time.Hour).Unix())) }), pdf},
				"Method":    {tamper(func(q url.Values) { q.Set("method", "GET") }), pdf},
				"OtherKey": {func() flowUpload {
					cp := up
					cp.URL = strings.Replace(up.URL, "/uploads/", "/public/", 1)
					return cp
				}(), pdf},
			} {
				change := http.Header(nil)
				if name == "Type" {
					change = http.Header{"Content-Type": {"text/html"}}
				}
				if rec := e.put(t, tc.up, tc.body, change); rec.Code != http.StatusForbidden {
					t.Errorf("%s: PUT to the tampered URL = %d %s, want 403", name, rec.Code, rec.Body)
				}
			}
			for _, k := range []string{e.key(t, up), strings.Replace(e.key(t, up), "uploads/", "public/", 1)} {
				if e.exists(t, k) {
					t.Fatalf("a tampered PUT stored %s", k)
				}
			}
			if rec := e.put(t, up, pdf, nil); rec.Code != http.StatusOK {
				t.Errorf("PUT to the URL as signed = %d %s, want 200", rec.Code, rec.Body)
			}
		})

		t.Run("SomeoneElsesUpload", func(t *testing.T) {
			pic := flowPNG(t, 64, 64)
			up := flowCreate(t, learner, "AVATAR", "me.png", "image/png", pic)
			if rec := e.put(t, up, pic, nil); rec.Code != http.StatusOK {
				t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
			}
			other := e.newLearner(t)
			r := other.Query(t, flowCompleteDoc, map[string]any{"id": up.ID})
			var p flowCompletePayload
			r.Field(t, "completeUpload", &p)
			if p.Asset != nil {
				t.Errorf("completeUpload of another's upload returned an asset: %s", r.Raw)
			}
			flowWantUserError(t, "completeUpload of another's upload", r, p.UserErrors, "NOT_FOUND", "id")

			// Completed by its owner, it is still nobody else's.
			if a := flowCompleteOK(t, learner, up.ID); a.Status != "PROCESSING" {
				t.Fatalf("completed by the owner = %+v, want PROCESSING", a)
			}
			r = other.Query(t, flowSetAvatarDoc, map[string]any{"id": up.ID})
			var set flowUserPayload
			r.Field(t, "setAvatar", &set)
			flowWantUserError(t, "setAvatar with another's upload", r, set.UserErrors, "NOT_FOUND", "uploadId")
			// The same ID named as the asset it became.
			assetID := gid.New("Asset", flowUUID(t, up.ID)).String()
			r = other.Query(t, flowSetAvatarDoc, map[string]any{"id": assetID})
			r.Field(t, "setAvatar", &set)
			flowWantUserError(t, "setAvatar with another's asset", r, set.UserErrors, "NOT_FOUND", "uploadId")

			courseID := e.courseID(t, instructor, flowCourse)
			r = instructor.Query(t, flowSetCoverDoc, map[string]any{"course": courseID, "upload": up.ID})
			var cover flowCoursePayload
			r.Field(t, "setCourseCover", &cover)
			flowWantUserError(t, "setCourseCover with another's upload", r, cover.UserErrors, "NOT_FOUND", "input", "uploadId")
		})

		t.Run("WrongPurpose", func(t *testing.T) {
			pic := flowPNG(t, 64, 64)
			up := flowCreate(t, instructor, "AVATAR", "me.png", "image/png", pic)
			if rec := e.put(t, up, pic, nil); rec.Code != http.StatusOK {
				t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
			}
			flowCompleteOK(t, instructor, up.ID)
			courseID := e.courseID(t, instructor, flowCourse)
			r := instructor.Query(t, flowSetCoverDoc, map[string]any{"course": courseID, "upload": up.ID})
			var cover flowCoursePayload
			r.Field(t, "setCourseCover", &cover)
			flowWantUserError(t, "setCourseCover with an AVATAR upload", r, cover.UserErrors, "WRONG_PURPOSE", "input", "uploadId")
			if cover.Course != nil && cover.Course.Cover != nil {
				t.Errorf("the course got a cover: %s", r.Raw)
			}
		})

		t.Run("AttachedTwice", func(t *testing.T) {
			pdf := flowPDF(900)
			up := flowCreate(t, instructor, "LESSON_ATTACHMENT", "twice.pdf", "application/pdf", pdf)
			if rec := e.put(t, up, pdf, nil); rec.Code != http.StatusOK {
				t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
			}
			flowCompleteOK(t, instructor, up.ID)
			lessonID := e.lessonID(t, instructor, flowCourse, flowEnrolledLess)
			vars := map[string]any{"lesson": lessonID, "upload": up.ID, "title": "Twice"}
			r := instructor.Query(t, flowAddAttachmentDoc, vars)
			var p flowLessonPayload
			r.Field(t, "addLessonAttachment", &p)
			if len(p.UserErrors) > 0 || p.Lesson == nil {
				t.Fatalf("first addLessonAttachment = %s", r.Raw)
			}
			before := len(p.Lesson.Attachments)
			for _, lesson := range []string{lessonID, e.lessonID(t, instructor, flowCourse, "what-a-backend-does")} {
				vars["lesson"] = lesson
				r = instructor.Query(t, flowAddAttachmentDoc, vars)
				p = flowLessonPayload{}
				r.Field(t, "addLessonAttachment", &p)
				flowWantUserError(t, "addLessonAttachment again", r, p.UserErrors, "ALREADY_ATTACHED", "input", "uploadId")
			}
			if got := len(e.lesson(t, instructor, flowCourse, flowEnrolledLess).Attachments); got != before {
				t.Errorf("the lesson has %d attachments, want %d", got, before)
			}
		})
	})
}

// TestAvatarImageFlow uploads a real PNG as an avatar: completed, it waits
// for the image job; worked, it has public renditions that anyone may
// read once it is the avatar.
// TestCompletingAtOnce: many completeUpload calls for one upload at the
// same moment all answer the one outcome, and the image is queued once.
func TestCompletingAtOnce(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newFlowEnv(t, dialect, nil)
		learner := e.signInDemo(t, "LEARNER")
		pic := flowPNG(t, 400, 300)
		up := flowCreate(t, learner, "AVATAR", "me.png", "image/png", pic)
		if rec := e.put(t, up, pic, nil); rec.Code != http.StatusOK {
			t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
		}
		jobsBefore := e.jobCount(t, "process_image")
		reqs := make([]*http.Request, 10)
		for i := range reqs {
			reqs[i] = learner.Request(t, flowCompleteDoc, map[string]any{"id": up.ID})
		}
		for i, r := range e.client.ServeAtOnce(t, reqs...) {
			var p flowCompletePayload
			r.Field(t, "completeUpload", &p)
			if p.Asset == nil || p.Asset.Status != "PROCESSING" || len(p.UserErrors) > 0 {
				t.Errorf("call %d: completeUpload = %s", i, r.Raw)
			}
		}
		if n := e.jobCount(t, "process_image"); n != jobsBefore+1 {
			t.Errorf("process_image jobs = %d, want %d", n, jobsBefore+1)
		}
	})
}

func TestAvatarImageFlow(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newFlowEnv(t, dialect, nil)
		learner := e.signInDemo(t, "LEARNER")
		pic := flowPNG(t, 2000, 1000)
		if len(pic) > 2<<20 {
			t.Fatalf("the test PNG is %d bytes, over the avatar limit", len(pic))
		}

		up := flowCreate(t, learner, "AVATAR", "holiday.png", "image/png", pic)
		if rec := e.put(t, up, pic, nil); rec.Code != http.StatusOK {
			t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
		}
		jobsBefore := e.jobCount(t, "process_image")
		a := flowCompleteOK(t, learner, up.ID)
		if a.Status != "PROCESSING" || a.ContentType != "image/png" || a.URL != nil || a.Width != nil {
			t.Fatalf("completed avatar = %+v, want PROCESSING image/png without URL or size", a)
		}
		if n := e.jobCount(t, "process_image"); n != jobsBefore+1 {
			t.Fatalf("process_image jobs = %d, want %d", n, jobsBefore+1)
		}
		flowCompleteOK(t, learner, up.ID) // completing again enqueues nothing more
		if n := e.jobCount(t, "process_image"); n != jobsBefore+1 {
			t.Errorf("process_image jobs after completing again = %d, want %d", n, jobsBefore+1)
		}

		e.runJobs(t)
		a = flowCompleteOK(t, learner, up.ID)
		if a.Status != "READY" || a.Width == nil || *a.Width != 2000 || a.Height == nil || *a.Height != 1000 ||
			a.Small == nil || a.Large == nil {
			t.Fatalf("processed avatar = %+v, want READY 2000×1000 with URLs", a)
		}
		if objs := e.objects(t, "uploads/"); len(objs) > 0 {
			t.Errorf("the original upload (which may carry EXIF) is still stored: %v", objs)
		}
		public := e.cfg.APIBaseURL + "/v1/assets/public/" + flowUUID(t, up.ID).String() + "/"
		for name, u := range map[string]string{"SMALL": *a.Small, "LARGE": *a.Large} {
			if !strings.HasPrefix(u, public) {
				t.Errorf("%s url = %q, want below %s", name, u, public)
			}
		}
		if *a.Small == *a.Large {
			t.Errorf("SMALL and LARGE are the same rendition %q", *a.Small)
		}
		// Not yet anyone's avatar: not served.
		if rec := e.get(t, *a.Small); rec.Code != http.StatusNotFound {
			t.Errorf("GET of a rendition before setAvatar = %d, want 404", rec.Code)
		}

		r := learner.Query(t, flowSetAvatarDoc, map[string]any{"id": up.ID})
		var set flowUserPayload
		r.Field(t, "setAvatar", &set)
		if len(set.UserErrors) > 0 || set.User == nil || set.User.Avatar == nil || set.User.Avatar.ID != a.ID || set.User.Avatar.Status != "READY" {
			t.Fatalf("setAvatar = %s, want the READY avatar", r.Raw)
		}

		for name, tc := range map[string]struct {
			url   string
			width int
		}{"SMALL": {*a.Small, 320}, "LARGE": {*a.Large, 1600}} {
			rec := e.get(t, tc.url)
			if rec.Code != http.StatusOK {
				t.Errorf("%s: GET %s = %d, want 200", name, tc.url, rec.Code)
				continue
			}
			h := rec.Header()
			if ct := h.Get("Content-Type"); ct != "image/jpeg" && ct != "image/png" {
				t.Errorf("%s: Content-Type = %q, want image/jpeg or image/png", name, ct)
			}
			if cc := h.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "public") {
				t.Errorf("%s: Cache-Control = %q, want public and immutable", name, cc)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: X-Content-Type-Options = %q, want nosniff", name, h.Get("X-Content-Type-Options"))
			}
			m, _, err := image.Decode(bytes.NewReader(rec.Body.Bytes()))
			if err != nil {
				t.Errorf("%s: served image does not decode: %v", name, err)
			} else if got := m.Bounds().Size(); got != image.Pt(tc.width, tc.width/2) {
				t.Errorf("%s: served image is %v, want %dx%d", name, got, tc.width, tc.width/2)
			}
		}

		// Anyone sees it: on the learner's review, and by node(id).
		anon := e.client.NewCaller()
		r = anon.Query(t, flowReviewAuthorsDoc, map[string]any{"slug": flowReviewedBy})
		var course *struct {
			Reviews struct {
				Edges []struct {
					Node struct {
						Author struct {
							ID     string
							Avatar *flowAsset
						}
					}
				}
			}
		}
		r.Field(t, "course", &course)
		userID := gid.New("User", learner.ID).String()
		found := false
		for _, edge := range course.Reviews.Edges {
			if edge.Node.Author.ID != userID {
				continue
			}
			found = true
			av := edge.Node.Author.Avatar
			if av == nil || av.Small == nil || *av.Small != *a.Small || av.Status != "READY" {
				t.Errorf("the review author's avatar, anonymously = %+v, want %s", av, *a.Small)
			}
		}
		if !found {
			t.Errorf("no review by %s on %s: %s", userID, flowReviewedBy, r.Raw)
		}
		r = anon.Query(t, flowNodeAvatarDoc, map[string]any{"id": userID})
		var node *struct{ Avatar *flowAsset }
		r.Field(t, "node", &node)
		if node == nil || node.Avatar == nil || node.Avatar.Large == nil || *node.Avatar.Large != *a.Large {
			t.Errorf("node(id).avatar, anonymously = %s, want the LARGE url %s", r.Raw, *a.Large)
		}
	})
}

// TestCoverOfDraftCourse sets the cover of a draft course: its staff read
// it through a signed URL, and the public asset route serves it only once
// the course is published.
func TestCoverOfDraftCourse(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newFlowEnv(t, dialect, nil)
		instructor := e.signInDemo(t, "INSTRUCTOR")
		courseID := e.courseID(t, instructor, flowDraftCourse)
		pic := flowPNG(t, 1200, 600)

		up := flowCreate(t, instructor, "COURSE_COVER", "cover.png", "image/png", pic)
		if rec := e.put(t, up, pic, nil); rec.Code != http.StatusOK {
			t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
		}
		if a := flowCompleteOK(t, instructor, up.ID); a.Status != "PROCESSING" {
			t.Fatalf("completed cover = %+v, want PROCESSING", a)
		}
		e.runJobs(t)

		r := instructor.Query(t, flowSetCoverDoc, map[string]any{"course": courseID, "upload": up.ID})
		var set flowCoursePayload
		r.Field(t, "setCourseCover", &set)
		if len(set.UserErrors) > 0 || set.Course == nil || set.Course.Cover == nil {
			t.Fatalf("setCourseCover = %s", r.Raw)
		}
		cover := set.Course.Cover
		if cover.Status != "READY" || cover.Width == nil || *cover.Width != 1200 || cover.URL == nil {
			t.Fatalf("cover = %+v, want READY 1200 wide with a URL", cover)
		}
		signed := *cover.URL
		prefix := e.cfg.APIBaseURL + "/v1/files/public/" + flowUUID(t, up.ID).String() + "/"
		if !strings.HasPrefix(signed, prefix) {
			t.Fatalf("the draft's cover url = %q, want a signed URL below %s", signed, prefix)
		}
		if rec := e.get(t, signed); rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "image/") {
			t.Errorf("GET of the signed cover url = %d %q, want 200 with an image", rec.Code, rec.Header().Get("Content-Type"))
		}
		su, _ := url.Parse(signed)
		key := strings.TrimPrefix(su.Path, "/v1/files/")
		asset := e.cfg.APIBaseURL + "/v1/assets/" + key
		if rec := e.get(t, asset); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s of a draft's cover = %d, want 404", asset, rec.Code)
		}
		if c := e.course(t, e.client.NewCaller(), flowDraftCourse); c != nil {
			t.Errorf("anonymous sees the draft course: %+v", c)
		}

		r = instructor.Query(t, `mutation($id: ID!) { publishCourse(id: $id) { course { id } userErrors { code field message } } }`,
			map[string]any{"id": courseID})
		var pub flowCoursePayload
		r.Field(t, "publishCourse", &pub)
		if len(pub.UserErrors) > 0 || pub.Course == nil {
			t.Fatalf("publishCourse = %s", r.Raw)
		}
		rec := e.get(t, asset)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s once published = %d %q, want 200 immutable", asset, rec.Code, rec.Header().Get("Cache-Control"))
		}
		for who, c := range map[string]*testenv.Caller{"staff": instructor, "anonymous": e.client.NewCaller()} {
			got := e.course(t, c, flowDraftCourse)
			if got == nil || got.Cover == nil || got.Cover.URL == nil || *got.Cover.URL != asset {
				t.Errorf("%s: published course's cover = %+v, want url %s", who, got, asset)
			}
		}
	})
}

// TestAttachmentRemovedAfterCommit removes an attachment: its row goes at
// once, its file only when the job enqueued with that delete runs.
func TestAttachmentRemovedAfterCommit(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newFlowEnv(t, dialect, nil)
		instructor := e.signInDemo(t, "INSTRUCTOR")
		pdf := flowPDF(3000)
		up := flowCreate(t, instructor, "LESSON_ATTACHMENT", "gone.pdf", "application/pdf", pdf)
		key := e.key(t, up)
		if rec := e.put(t, up, pdf, nil); rec.Code != http.StatusOK {
			t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
		}
		a := flowCompleteOK(t, instructor, up.ID)
		lessonID := e.lessonID(t, instructor, flowCourse, flowEnrolledLess)
		r := instructor.Query(t, flowAddAttachmentDoc, map[string]any{"lesson": lessonID, "upload": up.ID, "title": "Gone soon"})
		var added flowLessonPayload
		r.Field(t, "addLessonAttachment", &added)
		if len(added.UserErrors) > 0 {
			t.Fatalf("addLessonAttachment = %s", r.Raw)
		}
		enrolled := e.signInAs(t, flowEnrolledEmail)
		download := e.attachment(t, enrolled, flowCourse, flowEnrolledLess, a.ID).URL
		if download == nil {
			t.Fatal("the enrolled learner has no download URL")
		}

		deletes := e.jobCount(t, "delete_objects")
		r = instructor.Query(t, flowRemoveAttachmentDoc, map[string]any{"id": a.ID})
		var removed flowLessonPayload
		r.Field(t, "removeLessonAttachment", &removed)
		if len(removed.UserErrors) > 0 || removed.Lesson == nil ||
			slices.ContainsFunc(removed.Lesson.Attachments, func(x flowAsset) bool { return x.ID == a.ID }) {
			t.Fatalf("removeLessonAttachment = %s, want the lesson without it", r.Raw)
		}
		if n := testenv.RowCount(t, e.db.Ent.Asset.Query().Where(asset.ID(flowUUID(t, up.ID)))); n != 0 {
			t.Errorf("the asset row is still there (%d)", n)
		}
		if n := e.jobCount(t, "delete_objects"); n != deletes+1 {
			t.Errorf("delete_objects jobs = %d, want %d", n, deletes+1)
		}
		if !e.exists(t, key) {
			t.Fatal("the file went before the job ran")
		}

		// Removing it again finds nothing.
		r = instructor.Query(t, flowRemoveAttachmentDoc, map[string]any{"id": a.ID})
		var again flowLessonPayload
		r.Field(t, "removeLessonAttachment", &again)
		flowWantUserError(t, "removeLessonAttachment again", r, again.UserErrors, "NOT_FOUND", "id")
		if n := e.jobCount(t, "delete_objects"); n != deletes+1 {
			t.Errorf("delete_objects jobs after a second remove = %d, want %d", n, deletes+1)
		}

		e.runJobs(t)
		if e.exists(t, key) {
			t.Error("the file is still stored after the delete job ran")
		}
		if rec := e.get(t, *download); rec.Code != http.StatusNotFound {
			t.Errorf("GET of the old download URL = %d, want 404", rec.Code)
		}
	})
}

// TestUploadQuota declares more bytes in a day than UPLOAD_DAILY_BYTES
// allows: the upload that does not fit is refused with a request error
// saying how long to wait, and costs nothing.
func TestUploadQuota(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newFlowEnv(t, dialect, func(c *config.Config) { c.Storage.DailyUploadBytes = 3 << 20 })
		instructor := e.signInDemo(t, "INSTRUCTOR")
		zeros := strings.Repeat("0", 64)

		flowCreateSum(t, instructor, "LESSON_ATTACHMENT", "first.pdf", "application/pdf", 2<<20, zeros)
		for _, size := range []int{2 << 20, 1<<20 + 1} {
			before := e.assetCount(t)
			r := flowCreateReply(t, instructor, "LESSON_ATTACHMENT", "second.pdf", "application/pdf", size, zeros)
			if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "RATE_LIMITED" {
				t.Fatalf("createUpload of %d bytes over the daily allowance = %s, want RATE_LIMITED", size, r.Raw)
			}
			wait, ok := r.ErrorExtension(t, 0, "retryAfterSeconds").(float64)
			if !ok || wait < 1 || wait > 24*3600 {
				t.Errorf("retryAfterSeconds = %v, want 1..86400", r.ErrorExtension(t, 0, "retryAfterSeconds"))
			}
			if n := e.assetCount(t); n != before {
				t.Errorf("a refused upload stored a row: %d assets, %d before", n, before)
			}
		}
		// What was refused was not counted: the last MiB still fits.
		flowCreateSum(t, instructor, "LESSON_ATTACHMENT", "third.pdf", "application/pdf", 1<<20, zeros)
		r := flowCreateReply(t, instructor, "LESSON_ATTACHMENT", "fourth.pdf", "application/pdf", 1, zeros)
		if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "RATE_LIMITED" {
			t.Errorf("createUpload past the allowance = %s, want RATE_LIMITED", r.Raw)
		}
		// The allowance is per user.
		other := e.signInAs(t, "daniel.kowalski@example.com")
		flowCreateSum(t, other, "LESSON_ATTACHMENT", "theirs.pdf", "application/pdf", 2<<20, zeros)
	})
}

// flowEnv is the app built as the server builds it over a fresh copy of
// the demo data, with its file store and DATA_DIR in the test's temporary
// directory.
type flowEnv struct {
	db     *database.DB
	client *testenv.Client
	app    *app.App
	cfg    config.Config
}

func newFlowEnv(t *testing.T, dialect string, edit func(*config.Config)) *flowEnv {
	t.Helper()
	e := &flowEnv{db: testenv.Fresh(t, dialect, testenv.DemoSignIn)}
	e.client, e.app = testenv.NewCachedClient(t, e.db, func(c *config.Config) {
		c.DataDir = t.TempDir()
		if edit != nil {
			edit(c)
		}
		e.cfg = *c
	}, app.WithLoaderWait(50*time.Millisecond))
	// Blobs must not land in the package directory.
	if wd, err := os.Getwd(); err != nil || !filepath.IsAbs(e.cfg.Storage.Dir) || strings.HasPrefix(e.cfg.Storage.Dir, wd) {
		t.Fatalf("the file store is at %q, not in a temporary directory (%v)", e.cfg.Storage.Dir, err)
	}
	t.Cleanup(func() { flowNoErrorLogs(t, e.client.Logs) })
	return e
}

// signInDemo signs in the demo account with role.
func (e *flowEnv) signInDemo(t *testing.T, role string) *testenv.Caller {
	t.Helper()
	acct := testenv.DemoAccount(t, role)
	c := e.client.NewCaller()
	c.SignIn(t, acct.Email, acct.Password, testenv.CookieTransport)
	return c
}

// signInAs gives the demo account at email a password and signs it in.
func (e *flowEnv) signInAs(t *testing.T, email string) *testenv.Caller {
	t.Helper()
	testenv.SetPassword(t, e.db, email, flowPassword)
	c := e.client.NewCaller()
	c.SignIn(t, email, flowPassword, testenv.CookieTransport)
	return c
}

// newLearner signs in a new verified learner enrolled nowhere.
func (e *flowEnv) newLearner(t *testing.T) *testenv.Caller {
	t.Helper()
	u := testenv.CreateAccount(t, e.db, testenv.Account{DisplayName: "outsider", Password: flowPassword, VerifiedAt: testenv.Now})
	c := e.client.NewCaller()
	c.SignIn(t, u.Email, flowPassword, testenv.CookieTransport)
	return c
}

type flowUserError struct {
	Code    string
	Field   []string
	Message string
}

type flowUpload struct {
	ID, URL, Method, ExpiresAt string
	Headers                    []struct{ Name, Value string }
}

// flowAsset is what the tests select of an Asset (flowAssetFields).
type flowAsset struct {
	ID              string
	Status          string
	RejectionReason *string
	FailureReason   *string
	ContentType     string
	ByteSize        int
	Filename        string
	Title           *string
	Width, Height   *int
	URL             *string
	Small, Large    *string
}

const flowAssetFields = `id status rejectionReason failureReason contentType byteSize filename title width height
	url small: url(size: SMALL) large: url(size: LARGE)`

type flowCreatePayload struct {
	Upload     *flowUpload
	UserErrors []flowUserError
}

type flowCompletePayload struct {
	Asset      *flowAsset
	UserErrors []flowUserError
}

type flowLesson struct {
	ID          string
	Attachments []flowAsset
}

type flowLessonPayload struct {
	Lesson     *flowLesson
	UserErrors []flowUserError
}

type flowCourseView struct {
	ID    string
	Cover *flowAsset
}

type flowCoursePayload struct {
	Course     *flowCourseView
	UserErrors []flowUserError
}

type flowUserPayload struct {
	User *struct {
		ID     string
		Avatar *flowAsset
	}
	UserErrors []flowUserError
}

const (
	flowCreateUploadDoc = `mutation($in: CreateUploadInput!) { createUpload(input: $in) {
		upload { id url method headers { name value } expiresAt } userErrors { code field message } } }`
	flowCompleteDoc = `mutation($id: ID!) { completeUpload(id: $id) {
		asset { ` + flowAssetFields + ` } userErrors { code field message } } }`
	flowLessonDoc = `query($course: String!, $lesson: String!) { lesson(courseSlug: $course, lessonSlug: $lesson) {
		id attachments { ` + flowAssetFields + ` } } }`
	flowAddAttachmentDoc = `mutation($lesson: ID!, $upload: ID!, $title: String!) {
		addLessonAttachment(input: {lessonId: $lesson, uploadId: $upload, title: $title}) {
			lesson { id attachments { id title status } } userErrors { code field message } } }`
	flowRemoveAttachmentDoc = `mutation($id: ID!) { removeLessonAttachment(id: $id) {
		lesson { id attachments { id } } userErrors { code field message } } }`
	flowSetCoverDoc = `mutation($course: ID!, $upload: ID!) { setCourseCover(input: {courseId: $course, uploadId: $upload}) {
		course { id cover { ` + flowAssetFields + ` } } userErrors { code field message } } }`
	flowSetAvatarDoc = `mutation($id: ID!) { setAvatar(uploadId: $id) {
		user { id avatar { ` + flowAssetFields + ` } } userErrors { code field message } } }`
	flowCourseDoc        = `query($slug: String!) { course(slug: $slug) { id cover { ` + flowAssetFields + ` } } }`
	flowReviewAuthorsDoc = `query($slug: String!) { course(slug: $slug) { reviews(first: 50) { edges { node {
		author { id avatar { ` + flowAssetFields + ` } } } } } } }`
	flowNodeAvatarDoc = `query($id: ID!) { node(id: $id) { ... on User { avatar { ` + flowAssetFields + ` } } } }`
)

// flowCreateReply declares a file of size bytes with checksum, as it is
// answered.
func flowCreateReply(t *testing.T, c *testenv.Caller, purpose, filename, contentType string, size int, checksum string) testenv.Reply {
	t.Helper()
	return c.Query(t, flowCreateUploadDoc, map[string]any{"in": map[string]any{"purpose": purpose, "filename": filename,
		"contentType": contentType, "byteSize": size, "checksumSha256": checksum}})
}

// flowCreateSum declares a file and fails the test unless an upload is
// returned.
func flowCreateSum(t *testing.T, c *testenv.Caller, purpose, filename, contentType string, size int, checksum string) flowUpload {
	t.Helper()
	r := flowCreateReply(t, c, purpose, filename, contentType, size, checksum)
	var p flowCreatePayload
	r.Field(t, "createUpload", &p)
	if p.Upload == nil || len(p.UserErrors) > 0 {
		t.Fatalf("createUpload = %s", r.Raw)
	}
	return *p.Upload
}

// flowCreate declares data truthfully.
func flowCreate(t *testing.T, c *testenv.Caller, purpose, filename, contentType string, data []byte) flowUpload {
	t.Helper()
	return flowCreateSum(t, c, purpose, filename, contentType, len(data), flowSum(data))
}

// flowCompleteOK completes upload id and fails the test unless an asset is
// returned.
func flowCompleteOK(t *testing.T, c *testenv.Caller, id string) flowAsset {
	t.Helper()
	r := c.Query(t, flowCompleteDoc, map[string]any{"id": id})
	var p flowCompletePayload
	r.Field(t, "completeUpload", &p)
	if p.Asset == nil || len(p.UserErrors) > 0 {
		t.Fatalf("completeUpload = %s", r.Raw)
	}
	return *p.Asset
}

func (e *flowEnv) lesson(t *testing.T, c *testenv.Caller, courseSlug, lessonSlug string) flowLesson {
	t.Helper()
	r := c.Query(t, flowLessonDoc, map[string]any{"course": courseSlug, "lesson": lessonSlug})
	var l *flowLesson
	r.Field(t, "lesson", &l)
	if l == nil {
		t.Fatalf("no lesson %s/%s: %s", courseSlug, lessonSlug, r.Raw)
	}
	return *l
}

func (e *flowEnv) lessonID(t *testing.T, c *testenv.Caller, courseSlug, lessonSlug string) string {
	t.Helper()
	return e.lesson(t, c, courseSlug, lessonSlug).ID
}

// attachment returns the attachment id of the lesson as c sees it,
// failing the test when c does not see it.
func (e *flowEnv) attachment(t *testing.T, c *testenv.Caller, courseSlug, lessonSlug, id string) flowAsset {
	t.Helper()
	l := e.lesson(t, c, courseSlug, lessonSlug)
	i := slices.IndexFunc(l.Attachments, func(a flowAsset) bool { return a.ID == id })
	if i < 0 {
		t.Fatalf("the attachments of %s/%s %+v lack %s", courseSlug, lessonSlug, l.Attachments, id)
	}
	return l.Attachments[i]
}

// course returns the course as c sees it, nil when it does not.
func (e *flowEnv) course(t *testing.T, c *testenv.Caller, slug string) *flowCourseView {
	t.Helper()
	r := c.Query(t, flowCourseDoc, map[string]any{"slug": slug})
	var out *flowCourseView
	r.Field(t, "course", &out)
	return out
}

func (e *flowEnv) courseID(t *testing.T, c *testenv.Caller, slug string) string {
	t.Helper()
	out := e.course(t, c, slug)
	if out == nil {
		t.Fatalf("course %s is not visible", slug)
	}
	return out.ID
}

// target returns the path and query of a URL the app handed out, which
// must point at API_BASE_URL.
func (e *flowEnv) target(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("URL %q: %v", raw, err)
	}
	base, _ := url.Parse(e.cfg.APIBaseURL)
	if u.Scheme != base.Scheme || u.Host != base.Host {
		t.Fatalf("URL %q does not point at API_BASE_URL %s", raw, e.cfg.APIBaseURL)
	}
	return u.RequestURI()
}

// put sends body to up's URL as a browser does: with exactly the headers
// returned, but those in change (nil drops one), and a Content-Length of
// the body's size.
func (e *flowEnv) put(t *testing.T, up flowUpload, body []byte, change http.Header) *httptest.ResponseRecorder {
	t.Helper()
	return e.send(t, up, bytes.NewReader(body), change)
}

// putChunked sends body without a Content-Length.
func (e *flowEnv) putChunked(t *testing.T, up flowUpload, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	return e.send(t, up, io.MultiReader(bytes.NewReader(body)), nil)
}

func (e *flowEnv) send(t *testing.T, up flowUpload, body io.Reader, change http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(up.Method, e.target(t, up.URL), body)
	for _, h := range up.Headers {
		req.Header.Add(h.Name, h.Value)
	}
	for k, v := range change {
		req.Header.Del(k)
		for _, s := range v {
			req.Header.Add(k, s)
		}
	}
	rec := httptest.NewRecorder()
	e.client.Handler.ServeHTTP(rec, req)
	return rec
}

// get GETs a URL the app handed out, with no credentials.
func (e *flowEnv) get(t *testing.T, raw string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	e.client.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, e.target(t, raw), nil))
	return rec
}

// key is the object key up uploads to.
func (e *flowEnv) key(t *testing.T, up flowUpload) string {
	t.Helper()
	u, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := strings.CutPrefix(u.Path, "/v1/files/")
	if !ok {
		t.Fatalf("upload URL %q is not a file URL", up.URL)
	}
	return key
}

func (e *flowEnv) exists(t *testing.T, key string) bool {
	t.Helper()
	ok, err := e.app.Store.Exists(context.Background(), key)
	if err != nil {
		t.Fatalf("exists %s: %v", key, err)
	}
	return ok
}

// objects lists the keys of the store below prefix.
func (e *flowEnv) objects(t *testing.T, prefix string) []string {
	t.Helper()
	var keys []string
	for o, err := range e.app.Store.List(context.Background(), prefix) {
		if err != nil {
			t.Fatalf("list %q: %v", prefix, err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

func (e *flowEnv) assetCount(t *testing.T) int {
	t.Helper()
	return testenv.RowCount(t, e.db.Ent.Asset.Query())
}

// jobCount counts the jobs of kind in River's table, in any state.
func (e *flowEnv) jobCount(t *testing.T, kind string) int {
	t.Helper()
	var n int
	if err := e.db.SQL.QueryRowContext(context.Background(),
		"SELECT count(*) FROM river_job WHERE kind = '"+kind+"'").Scan(&n); err != nil {
		t.Fatalf("count %s jobs: %v", kind, err)
	}
	return n
}

// flowJobs runs media's jobs on the app's services, as the worker process
// does (app.mediaJobs).
// flowJobKinds are the jobs runJobs works.
const flowJobKinds = "'process_image', 'delete_objects'"

// runJobs works the image and deletion jobs waiting in the database with
// River workers over the same database, the way a worker process does,
// until none is left, and fails the test when one fails.
func (e *flowEnv) runJobs(t *testing.T) {
	t.Helper()
	workers := river.NewWorkers()
	e.app.AddMediaWorkers(workers)
	q, err := jobs.New(e.db, jobs.Config{
		Workers:      workers,
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}, jobs.QueueMedia: {MaxWorkers: 2}},
		PollInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := q.Stop(context.Background()); err != nil {
			t.Errorf("stop the queue: %v", err)
		}
	}()
	for {
		var waiting, failed int
		err := e.db.SQL.QueryRowContext(ctx, `SELECT
			coalesce(sum(CASE WHEN CAST(state AS TEXT) IN ('available', 'running', 'pending', 'scheduled') THEN 1 ELSE 0 END), 0),
			coalesce(sum(CASE WHEN CAST(state AS TEXT) IN ('retryable', 'discarded', 'cancelled') THEN 1 ELSE 0 END), 0)
			FROM river_job WHERE kind IN (`+flowJobKinds+`)`).Scan(&waiting, &failed)
		if err != nil {
			t.Fatalf("job states: %v", err)
		}
		if failed > 0 {
			t.Fatalf("jobs failed: %s", e.failedJobs(t))
		}
		if waiting == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d jobs still waiting after a minute", waiting)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (e *flowEnv) failedJobs(t *testing.T) string {
	t.Helper()
	rows, err := e.db.SQL.QueryContext(context.Background(), `SELECT kind, CAST(state AS TEXT), errors FROM river_job
		WHERE kind IN (`+flowJobKinds+`) AND CAST(state AS TEXT) IN ('retryable', 'discarded', 'cancelled')`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var kind, state string
		var errs sql.NullString
		if err := rows.Scan(&kind, &state, &errs); err != nil {
			return err.Error()
		}
		fmt.Fprintf(&b, "\n%s %s: %s", kind, state, errs.String)
	}
	return b.String()
}

// flowWantUserError fails the test unless ues is exactly one error with
// code at field.
func flowWantUserError(t *testing.T, what string, r testenv.Reply, ues []flowUserError, code string, field ...string) {
	t.Helper()
	if len(ues) != 1 || ues[0].Code != code || !slices.Equal(ues[0].Field, field) || ues[0].Message == "" {
		t.Errorf("%s = %s, want one userError %s at %v", what, r.Raw, code, field)
	}
}

// flowNoErrorLogs fails the test for every ERROR the app logged: a failure
// of the server's, or a write to public tables without cache tags.
func flowNoErrorLogs(t *testing.T, logs *testenv.Buffer) {
	t.Helper()
	for line := range bytes.Lines(logs.Bytes()) {
		var rec struct{ Level string }
		if json.Unmarshal(line, &rec) == nil && rec.Level == slog.LevelError.String() {
			t.Errorf("the app logged an error: %s", bytes.TrimSpace(line))
		}
	}
}

func flowSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func flowUUID(t *testing.T, globalID string) uuid.UUID {
	t.Helper()
	id, err := gid.Parse(globalID)
	if err != nil {
		t.Fatalf("global ID %q: %v", globalID, err)
	}
	return id.UUID
}

// flowFlipFirst changes the first character of a base64url signature to
// another one, which changes the bytes it decodes to.
func flowFlipFirst(s string) string {
	if s == "" {
		return "A"
	}
	c := byte('A')
	if s[0] == 'A' {
		c = 'B'
	}
	return string(c) + s[1:]
}

// flowPDF returns a PDF of about n bytes.
func flowPDF(n int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n")
	for i := 0; b.Len() < n-6; i++ {
		fmt.Fprintf(&b, "%% line %d of the flow test document\n", i)
	}
	b.WriteString("%%EOF\n")
	return b.Bytes()
}

// flowPNG returns an opaque w×h PNG: smooth gradients, so it stays small.
func flowPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, flowGradient(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func flowJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, flowGradient(w, h), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func flowGradient(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetRGBA(x, y, color.RGBA{R: uint8(x * 255 / w), G: uint8(y * 255 / h), B: 0x80, A: 0xff})
		}
	}
	return m
}

// flowZIP returns a ZIP archive holding one small file.
func flowZIP(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	f, err := z.Create("readme.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte("not an image\n"))
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestAttachingFollowsTheCourse: a file goes only on a course or lesson
// its uploader may edit. An instructor of another course is refused with
// their own upload, and the course's staff cannot remove what is not
// theirs to edit; nothing changes either way. Titles are checked like
// every other text.
func TestAttachingFollowsTheCourse(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newFlowEnv(t, dialect, nil)
		owner := e.signInDemo(t, "INSTRUCTOR")
		stranger := testenv.CreateAccount(t, e.db, testenv.Account{DisplayName: "other instructor", Role: user.RoleINSTRUCTOR,
			Password: flowPassword, VerifiedAt: testenv.Now})
		other := e.client.NewCaller()
		other.SignIn(t, stranger.Email, flowPassword, testenv.CookieTransport)

		upload := func(c *testenv.Caller, purpose, contentType string, data []byte) flowUpload {
			t.Helper()
			up := flowCreate(t, c, purpose, "file", contentType, data)
			if rec := e.put(t, up, data, nil); rec.Code != http.StatusOK {
				t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
			}
			flowCompleteOK(t, c, up.ID)
			return up
		}
		courseID := e.courseID(t, owner, flowCourse)
		lessonID := e.lessonID(t, owner, flowCourse, flowEnrolledLess)
		before := e.assetCount(t)

		// The other instructor's own uploads, on a published course they
		// do not teach: FORBIDDEN, and the uploads stay unattached.
		cover := upload(other, "COURSE_COVER", "image/png", flowPNG(t, 64, 32))
		r := other.Query(t, flowSetCoverDoc, map[string]any{"course": courseID, "upload": cover.ID})
		if e := r.OnlyError(t); e.Extensions.Code != "FORBIDDEN" {
			t.Errorf("setCourseCover on another's course = %s, want FORBIDDEN", r.Raw)
		}
		file := upload(other, "LESSON_ATTACHMENT", "application/pdf", flowPDF(300))
		r = other.Query(t, flowAddAttachmentDoc, map[string]any{"lesson": lessonID, "upload": file.ID, "title": "Mine"})
		if e := r.OnlyError(t); e.Extensions.Code != "FORBIDDEN" {
			t.Errorf("addLessonAttachment on another's lesson = %s, want FORBIDDEN", r.Raw)
		}
		if view := e.course(t, owner, flowCourse); view == nil || view.Cover != nil {
			t.Errorf("the course's cover after the refusals = %+v, want none", view)
		}

		// The owner's attachment is not the other instructor's to remove.
		mine := upload(owner, "LESSON_ATTACHMENT", "application/pdf", flowPDF(300))
		r = owner.Query(t, flowAddAttachmentDoc, map[string]any{"lesson": lessonID, "upload": mine.ID, "title": "Slides"})
		var added flowLessonPayload
		if r.Field(t, "addLessonAttachment", &added); len(added.UserErrors) > 0 {
			t.Fatalf("addLessonAttachment = %s", r.Raw)
		}
		attachment := gid.New("Asset", flowUUID(t, mine.ID)).String()
		r = other.Query(t, flowRemoveAttachmentDoc, map[string]any{"id": attachment})
		if e := r.OnlyError(t); e.Extensions.Code != "FORBIDDEN" {
			t.Errorf("removeLessonAttachment of another's course = %s, want FORBIDDEN", r.Raw)
		}
		if n := testenv.RowCount(t, e.db.Ent.Asset.Query().Where(asset.ID(flowUUID(t, mine.ID)), asset.LessonIDNotNil())); n != 1 {
			t.Errorf("the attachment after another's remove: %d rows, want 1", n)
		}

		// Titles: required, at most 200 characters, no control characters
		// (those besides tab and line breaks never reach the resolver: the
		// text rule refuses the whole request).
		spare := upload(owner, "LESSON_ATTACHMENT", "application/pdf", flowPDF(300))
		r = owner.Query(t, flowAddAttachmentDoc, map[string]any{"lesson": lessonID, "upload": spare.ID, "title": "a\x1b[31mb"})
		if e := r.OnlyError(t); e.Extensions.Code != "BAD_USER_INPUT" {
			t.Errorf("a title with an escape = %s, want BAD_USER_INPUT", r.Raw)
		}
		for name, title := range map[string]string{
			"Blank": "   ", "TooLong": strings.Repeat("t", 201), "Tab": "a\tb", "Newline": "a\nb",
		} {
			r := owner.Query(t, flowAddAttachmentDoc, map[string]any{"lesson": lessonID, "upload": spare.ID, "title": title})
			var p flowLessonPayload
			r.Field(t, "addLessonAttachment", &p)
			flowWantUserError(t, "addLessonAttachment titled "+name, r, p.UserErrors, "INVALID", "input", "title")
		}
		if n := testenv.RowCount(t, e.db.Ent.Asset.Query().Where(asset.ID(flowUUID(t, spare.ID)), asset.LessonIDNotNil())); n != 0 {
			t.Errorf("an upload with a refused title was attached (%d)", n)
		}
		if n := e.assetCount(t); n != before+4 {
			t.Errorf("assets = %d, want %d (the four uploads, nothing else)", n, before+4)
		}
	})
}

// TestAttachmentsPerLesson: a lesson holds at most 20 attachments.
func TestAttachmentsPerLesson(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newFlowEnv(t, dialect, nil)
		owner := e.signInDemo(t, "INSTRUCTOR")
		lessonID := e.lessonID(t, owner, flowCourse, flowEnrolledLess)
		have := len(e.lesson(t, owner, flowCourse, flowEnrolledLess).Attachments)
		for i := have; i <= 20; i++ {
			pdf := flowPDF(200 + i)
			up := flowCreate(t, owner, "LESSON_ATTACHMENT", "part.pdf", "application/pdf", pdf)
			if rec := e.put(t, up, pdf, nil); rec.Code != http.StatusOK {
				t.Fatalf("PUT = %d", rec.Code)
			}
			flowCompleteOK(t, owner, up.ID)
			r := owner.Query(t, flowAddAttachmentDoc, map[string]any{"lesson": lessonID, "upload": up.ID, "title": fmt.Sprint("Part ", i)})
			var p flowLessonPayload
			r.Field(t, "addLessonAttachment", &p)
			if i < 20 && len(p.UserErrors) > 0 {
				t.Fatalf("attachment %d = %s", i+1, r.Raw)
			}
			if i == 20 {
				flowWantUserError(t, "the 21st attachment", r, p.UserErrors, "INVALID", "input", "lessonId")
			}
		}
		if n := len(e.lesson(t, owner, flowCourse, flowEnrolledLess).Attachments); n != 20 {
			t.Errorf("attachments = %d, want 20", n)
		}
	})
}
