package graph_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/coursemember"
	entexport "lectern/ent/export"
	"lectern/ent/user"
	"lectern/graph/model"
	"lectern/internal/database"
	"lectern/internal/export"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

// The export flow itself (jobs, files, email, expiry) is tested in
// internal/export; these tests hold the GraphQL surface: what
// requestExport refuses and how viewer.exports pages.

// TestExportErrorsAreInTheSchema: every failure code the export service
// stores is a value of the schema's ExportError.
func TestExportErrorsAreInTheSchema(t *testing.T) {
	if len(export.Errors) != len(model.AllExportError) {
		t.Errorf("%d export errors, the schema has %d", len(export.Errors), len(model.AllExportError))
	}
	for _, code := range export.Errors {
		if !model.ExportError(code).IsValid() {
			t.Errorf("export error %s is not in ExportError", code)
		}
	}
}

const exportPassword = "export surface tests"

// exportAccount stores a verified account with role (unverified when
// verified is false) and signs it in from a browser.
func exportAccount(t *testing.T, db *database.DB, c *testenv.Client, role user.Role, verified bool) *testenv.Caller {
	t.Helper()
	a := testenv.Account{Role: role, Password: exportPassword}
	if verified {
		a.VerifiedAt = time.Now()
	}
	u := testenv.CreateAccount(t, db, a)
	caller := c.NewCaller()
	caller.SignIn(t, u.Email, exportPassword, testenv.CookieTransport)
	return caller
}

// exportCourse stores a published course owned by owner and returns its
// global ID.
func exportCourse(t *testing.T, db *database.DB, owner uuid.UUID, slug string) string {
	t.Helper()
	c := db.Ent.Course.Create().SetSlug(slug).SetTitle(slug).SetSummary("A course.").SaveX(asSystem())
	db.Ent.CourseMember.Create().SetCourseID(c.ID).SetUserID(owner).SetRole(coursemember.RoleOWNER).ExecX(asSystem())
	return gid.New("Course", c.ID).String()
}

const requestExportDoc = `mutation($in: RequestExportInput!) { requestExport(input: $in) {
	export { id status } userErrors { code field message } } }`

// TestRequestExportRefusals sends what requestExport must refuse: wrong
// combinations, other people's and missing courses, IDs of other types,
// malformed IDs and NUL bytes, unknown kinds, an unverified caller. Each
// gets its stable code, courses the caller does not teach read exactly
// like missing ones, and nothing is stored or enqueued.
func TestRequestExportRefusals(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		c := testenv.NewClient(t, db)
		owner := exportAccount(t, db, c, user.RoleINSTRUCTOR, true)
		other := exportAccount(t, db, c, user.RoleINSTRUCTOR, true)
		unverified := exportAccount(t, db, c, user.RoleLEARNER, false)
		mine := exportCourse(t, db, owner.ID, "mine")
		theirs := exportCourse(t, db, other.ID, "theirs")
		missing := gid.New("Course", uuid.New()).String()
		lesson := gid.New("Lesson", uuid.New()).String()
		in := func(kind string, course any) map[string]any {
			v := map[string]any{"kind": kind}
			if course != nil {
				v["courseId"] = course
			}
			return map[string]any{"in": v}
		}

		userErrors := []struct {
			name   string
			caller *testenv.Caller
			vars   map[string]any
			code   string
		}{
			{"LearnersWithoutCourse", owner, in("COURSE_LEARNERS_CSV", nil), "REQUIRED"},
			{"MyDataWithCourse", owner, in("MY_DATA_JSON", mine), "INVALID"},
			{"MyDataWithLessonID", owner, in("MY_DATA_JSON", lesson), "INVALID"},
			{"SomeoneElsesCourse", owner, in("COURSE_LEARNERS_CSV", theirs), "NOT_FOUND"},
			{"MissingCourse", owner, in("COURSE_LEARNERS_CSV", missing), "NOT_FOUND"},
			{"LessonID", owner, in("COURSE_LEARNERS_CSV", lesson), "NOT_FOUND"},
			{"Unverified", unverified, in("MY_DATA_JSON", nil), "EMAIL_NOT_VERIFIED"},
		}
		answers := map[string]string{}
		for _, tc := range userErrors {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.caller.Query(t, requestExportDoc, tc.vars)
				var p struct {
					Export     *json.RawMessage
					UserErrors []struct {
						Code    string
						Field   []string
						Message string
					}
				}
				r.Field(t, "requestExport", &p)
				field := []string{"input", "courseId"}
				if tc.code == "EMAIL_NOT_VERIFIED" {
					field = nil
				}
				if p.Export != nil || len(p.UserErrors) != 1 || p.UserErrors[0].Code != tc.code || !slices.Equal(p.UserErrors[0].Field, field) {
					t.Errorf("answered %s, want one userError %s at %v", r.Raw, tc.code, field)
				}
				answers[tc.name] = string(r.Data)
			})
		}
		if answers["SomeoneElsesCourse"] != answers["MissingCourse"] {
			t.Errorf("someone else's course reads %s, a missing one %s: NOT_FOUND tells them apart",
				answers["SomeoneElsesCourse"], answers["MissingCourse"])
		}

		requestErrors := []struct {
			name string
			vars map[string]any
			code string
		}{
			{"MalformedID", in("COURSE_LEARNERS_CSV", "not-an-id"), "BAD_USER_INPUT"},
			{"NULInID", in("COURSE_LEARNERS_CSV", mine[:4]+"\x00"+mine[4:]), "BAD_USER_INPUT"},
			{"HugeID", in("COURSE_LEARNERS_CSV", strings.Repeat("Q", 100_000)), "BAD_USER_INPUT"},
			{"NumberForID", in("COURSE_LEARNERS_CSV", 12345), "BAD_USER_INPUT"},
			{"UnknownKind", in("EVERYTHING", nil), "GRAPHQL_VALIDATION_FAILED"},
			{"NULInKind", in("MY_DATA_JSON\x00", nil), "GRAPHQL_VALIDATION_FAILED"},
		}
		for _, tc := range requestErrors {
			t.Run(tc.name, func(t *testing.T) {
				r := owner.Query(t, requestExportDoc, tc.vars)
				if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != tc.code {
					t.Errorf("answered %s, want one %s error", r.Raw, tc.code)
				}
			})
		}

		if n := testenv.RowCount(t, db.Ent.Export.Query()); n != 0 {
			t.Errorf("%d exports stored by refused requests", n)
		}
		var jobs int
		if err := db.SQL.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'export'`).Scan(&jobs); err != nil || jobs != 0 {
			t.Errorf("%d export jobs enqueued by refused requests (%v)", jobs, err)
		}
	})
}

const exportPageDoc = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor) { viewer { exports(first: $first, after: $after, last: $last, before: $before) {
	totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id status error createdAt } } } } }`

// TestViewerExportsPages walks a user's exports newest first in pages,
// within the bounds every connection has; another user sees none of them.
func TestViewerExportsPages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		c := testenv.NewClient(t, db)
		me := exportAccount(t, db, c, user.RoleLEARNER, true)
		stranger := exportAccount(t, db, c, user.RoleLEARNER, true)
		start := time.Now().UTC().Truncate(time.Millisecond)
		var newestFirst []string
		for i := range 5 {
			at := start.Add(time.Duration(i) * time.Minute)
			x := db.Ent.Export.Create().SetUserID(me.ID).SetKind(entexport.KindMY_DATA_JSON).SetStatus(entexport.StatusFAILED).
				SetErrorCode(export.ErrorProcessingFailed).SetCreatedAt(at).SetUpdatedAt(at).SaveX(asSystem())
			newestFirst = append([]string{gid.New("Export", x.ID).String()}, newestFirst...)
		}

		type page struct {
			Viewer struct {
				Exports struct {
					TotalCount int
					PageInfo   struct {
						HasNextPage, HasPreviousPage bool
						EndCursor                    *string
					}
					Edges []struct {
						Node struct{ ID, Status, Error string }
					}
				}
			}
		}
		var got []string
		var after any
		for range 3 {
			var p page
			me.Query(t, exportPageDoc, map[string]any{"first": 2, "after": after}).Decode(t, &p)
			conn := p.Viewer.Exports
			if conn.TotalCount != 5 {
				t.Errorf("totalCount = %d, want 5", conn.TotalCount)
			}
			for _, e := range conn.Edges {
				got = append(got, e.Node.ID)
				if e.Node.Status != "FAILED" || e.Node.Error != "PROCESSING_FAILED" {
					t.Errorf("export %+v, want FAILED with PROCESSING_FAILED", e.Node)
				}
			}
			if !conn.PageInfo.HasNextPage {
				break
			}
			after = *conn.PageInfo.EndCursor
		}
		if !slices.Equal(got, newestFirst) {
			t.Errorf("pages = %v, want newest first %v", got, newestFirst)
		}

		var none page
		stranger.Query(t, exportPageDoc, nil).Decode(t, &none)
		if n := none.Viewer.Exports.TotalCount; n != 0 || len(none.Viewer.Exports.Edges) != 0 {
			t.Errorf("another user's viewer.exports has %d, want none", n)
		}
		for _, id := range newestFirst {
			var out struct{ Node *struct{ ID string } }
			stranger.Query(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}).Decode(t, &out)
			if out.Node != nil {
				t.Errorf("another user reads export %s by its ID", id)
			}
		}

		for name, vars := range map[string]map[string]any{
			"TooLarge":     {"first": 101},
			"Negative":     {"first": -1},
			"FirstAndLast": {"first": 2, "last": 2},
			"BadCursor":    {"first": 2, "after": "not a cursor"},
		} {
			r := me.Query(t, exportPageDoc, vars)
			if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "BAD_USER_INPUT" {
				t.Errorf("%s: answered %s, want BAD_USER_INPUT", name, r.Raw)
			}
		}
		var def page
		me.Query(t, exportPageDoc, nil).Decode(t, &def)
		if len(def.Viewer.Exports.Edges) != 5 {
			t.Errorf("the default page has %d exports, want all 5 (at most %d)", len(def.Viewer.Exports.Edges), 20)
		}
	})
}
