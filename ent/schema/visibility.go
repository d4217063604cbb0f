package schema

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	gen "lectern/ent"
	"lectern/ent/intercept"
	"lectern/internal/viewer"
)

// Row visibility is enforced here, in the data model, rather than in
// resolvers: every query an ent client runs for a type (top-level, node
// lookups, eager-loaded edges, counts) passes through the interceptor
// Install gives it, so a draft cannot leak through a path nobody thought
// of. The rules are installed per client, not per schema type, so that the
// client says whose eyes a query reads with: internal/database builds the
// caller's clients and, where the domain must see what the caller cannot,
// system clients whose rules are off while their scope lasts (see
// internal/access for the whole map of decisions).

// Administrators see other people's rows only when elevated
// (viewer.IsElevatedAdmin: a session that passed MFA); otherwise every rule
// treats them as any signed-in user, so a password alone exposes nothing.

// rule returns the predicate limiting rows of one table for the viewer v;
// nil means every row is visible. anonymous is true when nobody is signed in.
type rule func(v viewer.Viewer, anonymous bool) func(*sql.Selector)

// Install applies the row rules to every query c runs. privileged reports
// whether they are off at the moment of the query: nil for a caller's
// client, which is always filtered by the viewer in the query's context;
// for a system client, true while its scope lasts, so that rows read in it
// and handed on (to a resolver loading their edges) are seen with the
// caller's rights again.
func Install(c *gen.Client, privileged func() bool) {
	on := func(r rule) gen.Interceptor { return visibleTo(r, privileged) }
	c.APIToken.Intercept(on(credentialRule))
	c.Asset.Intercept(on(assetRule))
	c.AuditEvent.Intercept(on(adminOnly))
	c.Course.Intercept(on(courseRule))
	c.CourseMember.Intercept(on(inVisibleCourse))
	c.EmailToken.Intercept(on(systemOnly))
	c.Enrollment.Intercept(on(ownRule))
	c.Export.Intercept(on(requesterOnly))
	c.FAQEntry.Intercept(on(inVisibleCourse))
	c.IdempotencyKey.Intercept(on(systemOnly))
	c.Lesson.Intercept(on(lessonRule))
	c.LessonProgress.Intercept(on(ownProgressRule))
	c.MailDelivery.Intercept(on(systemOnly))
	c.MFAChallenge.Intercept(on(systemOnly))
	c.RecoveryCode.Intercept(on(systemOnly))
	c.Review.Intercept(on(inVisibleCourse))
	c.Section.Intercept(on(inVisibleCourse))
	c.Session.Intercept(on(credentialRule))
	c.ThrottleBucket.Intercept(on(systemOnly))
	c.User.Intercept(on(userRule))
}

// visibleTo turns a rule into an interceptor. The system viewer (commands,
// tests) sees all, as does a privileged client while privileged says so.
func visibleTo(r rule, privileged func() bool) gen.Interceptor {
	return gen.TraverseFunc(func(ctx context.Context, q gen.Query) error {
		if privileged != nil && privileged() {
			return nil
		}
		p := ruleFor(ctx, r)
		if p == nil {
			return nil
		}
		w, err := intercept.NewQuery(q)
		if err != nil {
			return fmt.Errorf("visibility: %w", err)
		}
		w.WhereP(p)
		return nil
	})
}

// ruleFor is rule r for the viewer in ctx; nil when it hides nothing from
// them. The system viewer (commands, tests) sees all.
func ruleFor(ctx context.Context, r rule) func(*sql.Selector) {
	v, ok := viewer.FromContext(ctx)
	if ok && v.IsSystem() {
		return nil
	}
	return r(v, !ok)
}

// courseVisible is the predicate "this course is visible to v": published,
// or, for a signed-in user, one they are staff of. (Elevated admins are
// never filtered: the rules return no predicate for them.) col qualifies a
// column of the course row being tested, as a builder of dialect d writes
// it ("" for a table made without one).
func courseVisible(d string, col func(string) string, v viewer.Viewer, anonymous bool) *sql.Predicate {
	published := isPublished(col("status"))
	if anonymous {
		return published
	}
	return sql.Or(published, isStaff(d, col("id"), v))
}

// isPublished is the predicate "column col holds PUBLISHED", with the
// constant written into the statement rather than passed as a parameter.
// PostgreSQL plans a prepared statement once for any parameter values (a
// generic plan) after a few runs; with the status as a parameter that plan
// cannot know that most rows are published, and for a page's lessons it
// chose one several times slower. With the constant in the text, the plan
// made once fits every run, and no run pays for planning again.
func isPublished(col string) *sql.Predicate {
	return sql.EQ(col, sql.Raw("'PUBLISHED'"))
}

// isStaff is "v holds a course role in the course whose ID is in column
// courseID" (as a builder of dialect d writes it): a correlated EXISTS,
// one probe of the (course_id, user_id) unique index for the rows that
// need it (the rules test it after the published status, so published
// rows never do). An IN over all the viewer's memberships costs
// PostgreSQL the same to run but is estimated by how many memberships
// users hold on average; for a prepared statement that estimate differs
// between the generic plan and one made for the viewer's values, and
// where it tipped the comparison PostgreSQL planned the statement anew on
// every run.
func isStaff(d, courseID string, v viewer.Viewer) *sql.Predicate {
	if t, ok := staffTexts[d]; ok {
		return t.predicate(courseID, v.UserID)
	}
	return isStaffP(courseID, v.UserID)
}

// isStaffP builds isStaff's predicate with ent's builder.
func isStaffP(courseID string, userID any) *sql.Predicate {
	m := sql.Table("course_members").As("vis_m")
	return sql.Exists(sql.Select(m.C("id")).From(m).
		Where(sql.And(sql.ColumnsEQ(m.C("course_id"), courseID), sql.EQ(m.C("user_id"), userID))))
}

// courseRule: drafts and archived courses are visible to their staff and
// elevated admins only. The predicate is on the row's own status (not a
// subquery over courses) so the (status, sort key) indexes serve the
// catalogue's ordered pages; measured on PostgreSQL with 5,000 courses, the
// subquery form sorted the whole table (17 ms) where this reads 21 index
// entries.
func courseRule(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	if v.IsElevatedAdmin() {
		return nil
	}
	return func(s *sql.Selector) {
		s.Where(courseVisible(s.Dialect(), s.C, v, anonymous))
	}
}

// inVisibleCourse hides rows that belong to a course the viewer cannot see.
// It is a correlated EXISTS on the course's primary key, so the planner
// drives the query from the row's own filters (a list of parent IDs when
// eager loading) and checks each row's course by key: with an IN over all
// visible courses, SQLite without statistics scanned every visible lesson
// (7 ms for a 200-course catalogue page, against well under 1 ms).
func inVisibleCourse(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	if v.IsElevatedAdmin() {
		return nil
	}
	return func(s *sql.Selector) {
		s.Where(ofVisibleCourse(s, v, anonymous))
	}
}

// ofVisibleCourse is "the course of the row in s is visible to v". For a
// signed-in viewer the staff test stands beside the EXISTS, not inside it
// ("its course is published, or the viewer is its staff"), so that a rule
// adding its own staff test (lessonRule) needs only one.
func ofVisibleCourse(s *sql.Selector, v viewer.Viewer, anonymous bool) *sql.Predicate {
	return orStaff(s, v, anonymous, coursePublished(s))
}

// coursePublished is "the course of the row in s is published".
func coursePublished(s *sql.Selector) *sql.Predicate {
	col := s.C("course_id")
	if t, ok := publishedTexts[s.Dialect()]; ok {
		return t.predicate(col, nil)
	}
	return coursePublishedP(col, nil)
}

// coursePublishedP builds coursePublished's predicate for the course
// column col with ent's builder (it has no argument).
func coursePublishedP(col string, _ any) *sql.Predicate {
	c := sql.Table("courses").As("vis_c")
	return sql.Exists(sql.Select(c.C("id")).From(c).
		Where(sql.And(sql.ColumnsEQ(c.C("id"), col), isPublished(c.C("status")))))
}

// The row rules' subqueries are in the text of nearly every read: each
// outline's sections and lessons carry coursePublished, and a signed-in
// caller's reads isStaff too. Their text is made once per dialect, and a
// query only writes it around its own column and argument: building them
// with ent's builder on every query (a subselect, its predicates, the
// quoting of each name) took about 4% of the CPU time of a course page
// and 7% of its allocations. A builder without a dialect (a table made
// with sql.Table) quotes its names its own way and keeps ent's builder.
var (
	publishedTexts = predicateTexts(coursePublishedP, false)
	staffTexts     = predicateTexts(isStaffP, true)
)

// predicateText is a predicate's text in one dialect, cut where a query's
// own parts go: the outer row's column, and then, if arg, the argument.
type predicateText struct {
	head, mid, tail string
	arg             bool
}

// predicate writes the text around col and arg.
func (t predicateText) predicate(col string, arg any) *sql.Predicate {
	return sql.P(func(b *sql.Builder) {
		b.WriteString(t.head).WriteString(col).WriteString(t.mid)
		if t.arg {
			b.Arg(arg).WriteString(t.tail)
		}
	})
}

// predicateTexts writes build's predicate, as ent writes it, in each
// dialect around a stand-in column (written as a selector writes a
// column, so the builder passes it through as it does a real one) and,
// if withArg, a stand-in argument, and cuts the text there.
func predicateTexts(build func(col string, arg any) *sql.Predicate, withArg bool) map[string]predicateText {
	const argMark = "/*argument*/"
	texts := make(map[string]predicateText)
	for _, d := range []string{dialect.Postgres, dialect.SQLite, dialect.MySQL} {
		col := sql.Dialect(d).Table("outer_row").C("outer_column")
		p := build(col, sql.Raw(argMark))
		p.SetDialect(d)
		text, args := p.Query()
		t := predicateText{arg: withArg}
		head, rest, ok := strings.Cut(text, col)
		t.head, t.mid = head, rest
		if ok && withArg {
			t.mid, t.tail, ok = strings.Cut(rest, argMark)
		}
		parts := t.head + t.mid + t.tail
		if !ok || len(args) > 0 || p.Err() != nil || strings.Contains(parts, col) || strings.Contains(parts, argMark) {
			panic(fmt.Sprintf("visibility: cannot cut a row rule's text in %s: %q", d, text))
		}
		texts[d] = t
	}
	return texts
}

// orStaff is p, or, for a signed-in viewer, "v is staff of the course of
// the row in s" (staff see all of their courses, drafts included).
func orStaff(s *sql.Selector, v viewer.Viewer, anonymous bool, p *sql.Predicate) *sql.Predicate {
	if anonymous {
		return p
	}
	return sql.Or(p, isStaff(s.Dialect(), s.C("course_id"), v))
}

// CourseMembersVisible is the course members' row rule for the caller in
// ctx, as a predicate over members: the course_members table joined into
// outer, a query of another type (whose own rule ent applies). nil means
// every membership is visible to the caller.
func CourseMembersVisible(ctx context.Context, outer *sql.Selector, members *sql.SelectTable) *sql.Predicate {
	r := ruleFor(ctx, inVisibleCourse)
	if r == nil {
		return nil
	}
	s := sql.Dialect(outer.Dialect()).Select().From(members)
	r(s)
	return s.P()
}

// lessonRule: draft lessons are visible to course staff and elevated
// admins only.
func lessonRule(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	if v.IsElevatedAdmin() {
		return nil
	}
	// "Visible course, and published or staff" is, expanded, "published
	// in a published course, or staff": one staff test rather than two.
	// With two, each an IN over the viewer's memberships, PostgreSQL
	// estimated the signed-in course page's lessons dearer as a generic
	// plan than as plans made for each run, and planned them anew on every
	// run: 0.8 ms of planning for 0.2 ms of execution
	// (TestSignedInCoursePagePlansOnce).
	return func(s *sql.Selector) {
		s.Where(orStaff(s, v, anonymous, sql.And(isPublished(s.C("status")), coursePublished(s))))
	}
}

// assetRule: an upload is its uploader's; beyond them, an asset is seen
// where it shows: as the cover of a course the viewer sees, an attachment
// of a lesson the viewer sees, or the avatar of a user the viewer sees.
// Seeing an attachment is not downloading it: its URL asks more (see
// internal/media).
func assetRule(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	if v.IsElevatedAdmin() {
		return nil
	}
	return func(s *sql.Selector) {
		c := sql.Table("courses").As("vis_ac")
		cover := sql.Exists(sql.Select(c.C("id")).From(c).
			Where(sql.And(sql.ColumnsEQ(c.C("cover_id"), s.C("id")), courseVisible("", c.C, v, anonymous))))
		l := sql.Table("lessons").As("vis_al")
		lessonSeen := isPublished(l.C("status"))
		if !anonymous {
			lessonSeen = sql.Or(lessonSeen, isStaff("", l.C("course_id"), v))
		}
		attachment := sql.And(sql.NotNull(s.C("lesson_id")), ofVisibleCourse(s, v, anonymous),
			sql.Exists(sql.Select(l.C("id")).From(l).Where(sql.And(sql.ColumnsEQ(l.C("id"), s.C("lesson_id")), lessonSeen))))
		u := sql.Table("users").As("vis_au")
		userSeen := sql.NotNull(u.C("email_verified_at"))
		if !anonymous {
			userSeen = sql.Or(userSeen, sql.EQ(u.C("id"), v.UserID))
		}
		avatar := sql.Exists(sql.Select(u.C("id")).From(u).
			Where(sql.And(sql.ColumnsEQ(u.C("avatar_id"), s.C("id")), userSeen)))
		seen := []*sql.Predicate{cover, attachment, avatar}
		if !anonymous {
			seen = append(seen, sql.EQ(s.C("owner_id"), v.UserID))
		}
		s.Where(sql.Or(seen...))
	}
}

// ownRule: enrolments are private to their learner (and elevated admins).
func ownRule(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	if v.IsElevatedAdmin() {
		return nil
	}
	return func(s *sql.Selector) {
		if anonymous {
			s.Where(sql.False())
			return
		}
		s.Where(sql.EQ(s.C("user_id"), v.UserID))
	}
}

// ownProgressRule: progress rows follow their enrolment.
func ownProgressRule(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	if v.IsElevatedAdmin() {
		return nil
	}
	return func(s *sql.Selector) {
		if anonymous {
			s.Where(sql.False())
			return
		}
		e := sql.Table("enrollments").As("vis_e")
		own := sql.Select(e.C("id")).From(e).Where(sql.EQ(e.C("user_id"), v.UserID))
		s.Where(sql.In(s.C("enrollment_id"), own))
	}
}

// requesterOnly: an export holds other people's data (a course's learners)
// or all of one user's: only the user who asked for it sees it, admins
// included, so an admin session cannot be a way to someone's data export.
func requesterOnly(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	return func(s *sql.Selector) {
		if anonymous {
			s.Where(sql.False())
			return
		}
		s.Where(sql.EQ(s.C("user_id"), v.UserID))
	}
}

// systemOnly: secrets in waiting (email tokens, MFA challenges, recovery
// codes, throttle counts, delivery claims, stored idempotent responses) are
// read by the process itself, never on behalf of a caller.
func systemOnly(viewer.Viewer, bool) func(*sql.Selector) {
	return func(s *sql.Selector) { s.Where(sql.False()) }
}

// adminOnly: the audit trail is for elevated admins (a session that passed
// MFA, never an API token), as auditEvents itself requires: node(id) must
// not be a way around that.
func adminOnly(v viewer.Viewer, _ bool) func(*sql.Selector) {
	if v.IsElevatedAdmin() {
		return nil
	}
	return func(s *sql.Selector) { s.Where(sql.False()) }
}

// userRule: a profile is public once its owner has verified their address
// (every instructor and reviewer has); until then only its owner and
// elevated admins see it. This keeps fresh sign-ups out of view, so signUp
// can answer the same for a new and for a taken address without the answer
// being testable through node(id).
func userRule(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	if v.IsElevatedAdmin() {
		return nil
	}
	return func(s *sql.Selector) {
		verified := sql.NotNull(s.C("email_verified_at"))
		if anonymous {
			s.Where(verified)
			return
		}
		s.Where(sql.Or(verified, sql.EQ(s.C("id"), v.UserID)))
	}
}

// credentialRule: sessions and API tokens are their owner's alone, admins
// included: nobody needs another person's session list or token names to
// moderate (ending them is done by the identity service, not by reading).
// The owner reads them from a session only (viewer.SeesCredentials): an
// API token, refused the viewer.sessions and viewer.apiTokens lists, finds
// no more of them by ID.
func credentialRule(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	return func(s *sql.Selector) {
		if anonymous || !v.SeesCredentials() {
			s.Where(sql.False())
			return
		}
		s.Where(sql.EQ(s.C("user_id"), v.UserID))
	}
}
