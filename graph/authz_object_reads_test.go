package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"lectern/ent/lesson"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

// Outcomes of a read: the object is absent (null, as a missing one is),
// present without the fields restricted to some callers (a user's email,
// role, emailVerified and disabled; a lesson's body), or present with them.
const (
	hidden     = "null"
	shown      = "shown"
	restricted = "shown with restricted fields"
)

// objRead is one row of the read specification: an object of the fixture
// and what each kind of caller gets when asking for it.
type objRead struct {
	name   string
	target objTarget
	want   map[string]string
}

// objReadAll returns a row deciding every caller as outcome, then the
// exceptions given as caller, outcome pairs.
func objReadAll(outcome string, exceptions ...string) map[string]string {
	row := map[string]string{}
	for _, caller := range objCallers {
		row[caller] = outcome
	}
	for i := 0; i+1 < len(exceptions); i += 2 {
		row[exceptions[i]] = exceptions[i+1]
	}
	return row
}

var (
	objEnrolment    = objTarget{"Enrollment", func(f *objFixture) uuid.UUID { return f.enrolment }}
	objProgressRow  = objTarget{"LessonProgress", func(f *objFixture) uuid.UUID { return f.progress }}
	objOwnerSession = objTarget{"Session", func(f *objFixture) uuid.UUID { return f.ownerSession }}
	objOwnerToken   = objTarget{"APIToken", func(f *objFixture) uuid.UUID { return f.ownerToken }}
	objUnverified   = objTarget{"User", func(f *objFixture) uuid.UUID { return f.accounts[asUnverified] }}
	objAdmin        = objTarget{"User", func(f *objFixture) uuid.UUID { return f.accounts[asAdmin] }}
	objAdminMFA     = objTarget{"User", func(f *objFixture) uuid.UUID { return f.accounts[asAdminMFA] }}
)

// objReads is the specification of who reads which object, whatever the
// path: node(id) and nodes(ids) must answer alike. Administrators read
// other people's data (private fields, unverified accounts, enrolments and
// progress, drafts and enrolled-only lesson bodies of courses they do not
// teach) only from a session that passed MFA; without it, or through an
// API token, they read what any signed-in user reads. Sessions and API
// tokens are their owner's, and only from a session: an API token does not
// list them through viewer, nor reach them by ID.
var objReads = []objRead{
	{name: "owner's session", target: objOwnerSession, want: objReadAll(hidden, asOwner, shown)},
	{name: "owner's API token", target: objOwnerToken, want: objReadAll(hidden, asOwner, shown)},
	{name: "enrolment", target: objEnrolment, want: objReadAll(hidden, asEnrolled, shown, asAdminMFA, shown)},
	{name: "lesson progress", target: objProgressRow, want: objReadAll(hidden, asEnrolled, shown, asAdminMFA, shown)},
	{name: "draft course", target: objDraft, want: objReadAll(hidden,
		asAssistant, shown, asInstructor, shown, asOwner, shown, asReadToken, shown, asAdminMFA, shown)},
	{name: "draft lesson", target: objLesson, want: objReadAll(hidden,
		asAssistant, restricted, asInstructor, restricted, asOwner, restricted, asReadToken, restricted, asAdminMFA, restricted)},
	{name: "enrolled-only lesson of a published course", target: objNextLesson, want: objReadAll(shown,
		asEnrolled, restricted, asAssistant, restricted, asInstructor, restricted, asOwner, restricted, asReadToken, restricted,
		asAdminMFA, restricted)},
	{name: "published course", target: objPublished, want: objReadAll(shown)},
	{name: "another user", target: objBystander, want: objReadAll(shown, asAdminMFA, restricted)},
	{name: "unverified account", target: objUnverified, want: objReadAll(hidden, asUnverified, restricted, asAdminMFA, restricted)},
	// Their own account is every administrator's to read.
	{name: "account of the admin without MFA", target: objAdmin, want: objReadAll(shown, asAdmin, restricted, asAdminMFA, restricted)},
	{name: "account of the admin with MFA", target: objAdminMFA, want: objReadAll(shown, asAdminMFA, restricted, asAdminToken, restricted)},
}

// objReadFragment selects, on every type, its ID and the fields some
// callers may not read.
const objReadFragment = `fragment read on Node {
  __typename id
  ... on User { email role emailVerified disabled }
  ... on Lesson { body }
  ... on Session { current }
  ... on ApiToken { name }
}`

// objRestricted lists, per type, the fields some callers may not read.
var objRestricted = map[string][]string{
	"User":   {"email", "role", "emailVerified", "disabled"},
	"Lesson": {"body"},
}

// testReads decides every cell of objReads. Each caller asks for every
// object in one request, each through node(id) and nodes(ids), and a
// lesson also through lesson(courseSlug, lessonSlug) and its course's
// page, which read only the lesson columns they show; reading changes no
// row, so they share one fixture.
func (e *objEnv) testReads(t *testing.T) {
	if e.dirty {
		e.f = buildObjFixture(t, e.db, e.users)
		e.pristine = objDigest(t, e.db, e.f)
		e.dirty = false
	}
	var doc strings.Builder
	doc.WriteString("{\n")
	for i, rc := range objReads {
		id := gid.New(rc.target.typ, rc.target.pick(e.f)).String()
		fmt.Fprintf(&doc, "  node%d: node(id: %q) { ...read }\n  nodes%d: nodes(ids: [%q]) { ...read }\n", i, id, i, id)
		if rc.target.typ == "Lesson" {
			courseSlug, lessonSlug := objLessonSlugs(t, e, rc.target.pick(e.f))
			fmt.Fprintf(&doc, "  lesson%d: lesson(courseSlug: %q, lessonSlug: %q) { ...read }\n", i, courseSlug, lessonSlug)
			fmt.Fprintf(&doc, "  page%d: course(slug: %q) { sections { lessons { ...read } } }\n", i, courseSlug)
		}
	}
	doc.WriteString("}\n" + objReadFragment)
	got := map[string]map[string]json.RawMessage{}
	for _, caller := range objCallers {
		var r testenv.Response
		if caller == asAnonymous {
			r = e.client.For(t).Query(doc.String(), nil)
		} else {
			r = asBearer(t, e.client, e.bearer[caller], doc.String(), nil)
		}
		var data map[string]json.RawMessage
		r.Decode(t, &data)
		got[caller] = data
	}
	for i, rc := range objReads {
		t.Run("read "+rc.name, func(t *testing.T) {
			for _, caller := range objCallers {
				t.Run(caller, func(t *testing.T) {
					node, nodes := got[caller][fmt.Sprintf("node%d", i)], got[caller][fmt.Sprintf("nodes%d", i)]
					if want := "[" + string(node) + "]"; string(nodes) != want {
						t.Errorf("node(id) answers %s but nodes(ids) %s", node, nodes)
					}
					if outcome := readOutcome(node); outcome != rc.want[caller] {
						t.Errorf("%s as %s: got %s, want %s\n  node: %s", rc.name, caller, outcome, rc.want[caller], node)
					}
					if rc.target.typ != "Lesson" {
						return
					}
					viaLesson := got[caller][fmt.Sprintf("lesson%d", i)]
					if outcome := readOutcome(viaLesson); outcome != rc.want[caller] {
						t.Errorf("%s as %s, through lesson(courseSlug, lessonSlug): got %s, want %s\n  lesson: %s", rc.name, caller, outcome, rc.want[caller], viaLesson)
					}
					onPage := lessonOnPage(t, got[caller][fmt.Sprintf("page%d", i)], gid.New("Lesson", rc.target.pick(e.f)).String())
					if outcome := readOutcome(onPage); outcome != rc.want[caller] {
						t.Errorf("%s as %s, on its course's page: got %s, want %s\n  lesson: %s", rc.name, caller, outcome, rc.want[caller], onPage)
					}
				})
			}
		})
	}
	if changed := objDigest(t, e.db, e.f).changedFrom(e.pristine); len(changed) > 0 {
		e.dirty = true
		t.Errorf("reading changed %v", changed)
	}
}

// objLessonSlugs returns the slugs of lesson id and of its course.
func objLessonSlugs(t *testing.T, e *objEnv, id uuid.UUID) (courseSlug, lessonSlug string) {
	t.Helper()
	l, err := e.db.Ent.Lesson.Query().Where(lesson.ID(id)).WithCourse().Only(asSystem())
	if err != nil {
		t.Fatal(err)
	}
	return l.Edges.Course.Slug, l.Slug
}

// lessonOnPage returns lesson id as a course page shows it, or null when
// the page (or the lesson on it) is absent.
func lessonOnPage(t *testing.T, page json.RawMessage, id string) json.RawMessage {
	t.Helper()
	var course *struct {
		Sections []struct{ Lessons []json.RawMessage }
	}
	if err := json.Unmarshal(page, &course); err != nil {
		t.Fatalf("course page %s: %v", page, err)
	}
	if course == nil {
		return json.RawMessage("null")
	}
	for _, s := range course.Sections {
		for _, l := range s.Lessons {
			var head struct{ ID string }
			if err := json.Unmarshal(l, &head); err != nil {
				t.Fatalf("lesson %s: %v", l, err)
			}
			if head.ID == id {
				return l
			}
		}
	}
	return json.RawMessage("null")
}

// readOutcome names what node(id) answered.
func readOutcome(node json.RawMessage) string {
	if string(node) == "null" {
		return hidden
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(node, &fields); err != nil {
		return fmt.Sprintf("undecodable node %s: %v", node, err)
	}
	var typ string
	if err := json.Unmarshal(fields["__typename"], &typ); err != nil {
		return fmt.Sprintf("node without __typename: %s", node)
	}
	names := objRestricted[typ]
	set := 0
	for _, name := range names {
		if v, ok := fields[name]; ok && string(v) != "null" {
			set++
		}
	}
	switch {
	case set == 0:
		return shown
	case set == len(names):
		return restricted
	}
	return fmt.Sprintf("some restricted fields only: %s", node)
}
