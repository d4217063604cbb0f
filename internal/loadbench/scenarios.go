package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"slices"
	"strings"
)

// scenario is one read of the mix, written once for each server so that
// both answer the same rows with the same fields, or a write on Lectern
// alone. PostGraphile has no row rules, so its queries ask for published
// courses and lessons explicitly, and order as Lectern does: the catalogue
// newest first, then by ID; sections and lessons by position.
type scenario struct {
	name string
	// lectern and peer are the documents of a read; a $slug variable, when
	// declared, is the fixture's course.
	lectern, peer string
	// signedIn sends Lectern's request as the enrolled learner (the peer
	// has no accounts: it reads every body anyway).
	signedIn bool
	// ceiling is the read as one hand-written PostgreSQL statement that
	// builds Lectern's answer as JSON ({"data": ...}, the same fields in
	// the same order), for -ceiling: the throughput pgbench gets from it is
	// the bound the performance goal measures Lectern against. Like the
	// peer's documents it asks for published rows itself; :slug is the
	// fixture's course (a pgbench variable).
	ceiling string
	// write, for a write scenario, prepares its traffic on Lectern (its
	// accounts, its rotation of requests) in place of the documents; the
	// peer, with no accounts, sits it out.
	write func(ctx context.Context, a *app, s *server, f fixture) (traffic, error)
	// mix, for the read mix, names the reads it sends in rotation, each
	// server its own documents of them, in place of a document of its own;
	// its SQL ceiling is their statements, which pgbench picks among at
	// random with equal weights.
	mix []string
}

// courseOutline is the peer's one course with sections and lessons; %s
// holds the lesson fields.
const courseOutline = `query($slug: String!) {
  allCourses(condition: {slug: $slug, status: "PUBLISHED"}) {
    nodes {
      title
      sectionsByCourseId(orderBy: [POSITION_ASC, ID_ASC]) {
        nodes { title lessonsBySectionId(condition: {status: "PUBLISHED"}, orderBy: [POSITION_ASC, ID_ASC]) { nodes { %s } } }
      }
    }
  }
}`

// catalogueDoc and cataloguePeerDoc are the catalogue's first page with
// each course's owner.
const (
	catalogueDoc     = `{ courses(first: 50) { edges { node { id slug title owner { displayName } } } } }`
	cataloguePeerDoc = `{
  allCourses(first: 50, condition: {status: "PUBLISHED"}, orderBy: [PUBLISHED_AT_DESC, ID_ASC]) {
    nodes { id slug title courseMembersByCourseId(condition: {role: "OWNER"}) { nodes { userByUserId { displayName } } } }
  }
}`
)

// The ceilings' statements are written as one would by hand for these
// pages: the page's courses first (LIMIT on an index order), then, per
// course, its owner, or its sections and their lessons, by correlated
// subqueries on their indexes (the owner's is coursemember_one_owner;
// with a join the planner may hash all of course_members for a page of
// 20), aggregated with json_agg in the page's order. COALESCE turns an
// empty list into [] as Lectern answers it, not null.
const (
	// coursePageSQL is a page of published courses with each one's owner:
	// %[1]s adds to the condition, %[2]s is the order (on c), %[3]d the
	// page size.
	coursePageSQL = `SELECT json_build_object('data', json_build_object('courses', json_build_object('edges',
  COALESCE(json_agg(json_build_object('node', json_build_object(
    'id', c.id, 'slug', c.slug, 'title', c.title, 'owner',
    (SELECT json_build_object('displayName', u.display_name) FROM course_members m JOIN users u ON u.id = m.user_id
      WHERE m.course_id = c.id AND m.role = 'OWNER')))
    ORDER BY %[2]s), '[]'))))
FROM (SELECT c.id, c.slug, c.title, c.published_at, c.rating_average FROM courses c
  WHERE c.status = 'PUBLISHED'%[1]s ORDER BY %[2]s LIMIT %[3]d) c`

	// sectionsSQL is the list of course c's sections, each with its
	// published lessons; %s is the lesson's fields as json_build_object's
	// arguments.
	sectionsSQL = `(SELECT COALESCE(json_agg(json_build_object('title', s.title, 'lessons',
    (SELECT COALESCE(json_agg(json_build_object(%s) ORDER BY l.position, l.id), '[]')
      FROM lessons l WHERE l.section_id = s.id AND l.status = 'PUBLISHED')) ORDER BY s.position, s.id), '[]')
    FROM sections s WHERE s.course_id = c.id)`

	// nestedSQL is the 20 newest published courses with their sections and
	// lessons; courseSQL is the fixture's course with them.
	nestedSQL = `SELECT json_build_object('data', json_build_object('courses', json_build_object('edges',
  COALESCE(json_agg(json_build_object('node', json_build_object('title', c.title, 'sections', ` + sectionsSQL + `))
    ORDER BY c.published_at DESC, c.id), '[]'))))
FROM (SELECT c.id, c.title, c.published_at FROM courses c
  WHERE c.status = 'PUBLISHED' ORDER BY c.published_at DESC, c.id LIMIT 20) c`
	courseSQL = `SELECT json_build_object('data', json_build_object('course', json_build_object('title', c.title, 'sections', ` + sectionsSQL + `)))
FROM courses c WHERE c.slug = :slug AND c.status = 'PUBLISHED'`
)

// catalogueSQL is the catalogue's first page, signed in or not: the
// learner teaches no course, so the rows are the same.
var catalogueSQL = fmt.Sprintf(coursePageSQL, "", "c.published_at DESC, c.id", 50)

var scenarios = []scenario{
	{
		name:    "catalogue",
		lectern: catalogueDoc,
		peer:    cataloguePeerDoc,
		ceiling: catalogueSQL,
	},
	{
		// The same page for a signed-in learner, whose catalogue would
		// also list courses they teach, of any status (the learner
		// teaches none, so the rows are the same).
		name:     "catalogue-signed-in",
		lectern:  catalogueDoc,
		peer:     cataloguePeerDoc,
		ceiling:  catalogueSQL,
		signedIn: true,
	},
	{
		name:    "nested",
		lectern: `{ courses(first: 20) { edges { node { title sections { title lessons { title } } } } } }`,
		peer: `{
  allCourses(first: 20, condition: {status: "PUBLISHED"}, orderBy: [PUBLISHED_AT_DESC, ID_ASC]) {
    nodes {
      title
      sectionsByCourseId(orderBy: [POSITION_ASC, ID_ASC]) {
        nodes { title lessonsBySectionId(condition: {status: "PUBLISHED"}, orderBy: [POSITION_ASC, ID_ASC]) { nodes { title } } }
      }
    }
  }
}`,
		ceiling: fmt.Sprintf(nestedSQL, "'title', l.title"),
	},
	{
		name:    "course",
		lectern: `query($slug: String!) { course(slug: $slug) { title sections { title lessons { title slug } } } }`,
		peer:    fmt.Sprintf(courseOutline, "title slug"),
		ceiling: fmt.Sprintf(courseSQL, "'title', l.title, 'slug', l.slug"),
	},
	{
		name:     "course-bodies",
		lectern:  `query($slug: String!) { course(slug: $slug) { title sections { title lessons { title slug body } } } }`,
		peer:     fmt.Sprintf(courseOutline, "title slug body"),
		ceiling:  fmt.Sprintf(courseSQL, "'title', l.title, 'slug', l.slug, 'body', l.body"),
		signedIn: true,
	},
	{
		name: "filters",
		lectern: `{
  courses(first: 20, where: {level: BEGINNER}, orderBy: [{field: RATING_AVERAGE, direction: DESC}]) {
    edges { node { id slug title owner { displayName } } }
  }
}`,
		peer: `{
  allCourses(first: 20, condition: {status: "PUBLISHED", level: "BEGINNER"}, orderBy: [RATING_AVERAGE_DESC, ID_ASC]) {
    nodes { id slug title courseMembersByCourseId(condition: {role: "OWNER"}) { nodes { userByUserId { displayName } } } }
  }
}`,
		ceiling: fmt.Sprintf(coursePageSQL, " AND c.level = 'BEGINNER'", "c.rating_average DESC, c.id", 20),
	},
	{
		// Every read above in turn, each as often: the throughput of a
		// frontend's traffic rather than of one page.
		name: "mix",
		mix:  []string{"catalogue", "catalogue-signed-in", "nested", "course", "course-bodies", "filters"},
	},
	{
		name:  "progress",
		write: prepareProgress,
	},
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, sc := range scenarios {
		names[i] = sc.name
	}
	return names
}

// selectScenarios returns the scenarios named in a comma-separated list,
// in the list's order; all of them for an empty list.
func selectScenarios(list string) ([]scenario, error) {
	if strings.TrimSpace(list) == "" {
		return scenarios, nil
	}
	var picked []scenario
	for name := range strings.SplitSeq(list, ",") {
		i := slices.IndexFunc(scenarios, func(sc scenario) bool { return sc.name == strings.TrimSpace(name) })
		if i < 0 {
			return nil, fmt.Errorf("unknown scenario %q (want some of %s)", name, strings.Join(scenarioNames(), ","))
		}
		picked = append(picked, scenarios[i])
	}
	return picked, nil
}

// workload is a scenario ready to send: the traffic for each server under
// test, in the order of the servers; nil for a server that sits it out.
type workload struct {
	scenario
	traffic []traffic
	// reads are the reads the workload sends (the read itself, or the
	// mix's), with the values of Lectern's answers, which the peer and
	// the ceiling must answer too; none for a write.
	reads []checkedRead
}

// checkedRead is a read with the values of Lectern's answer to it, as
// check reads them.
type checkedRead struct {
	scenario
	values []string
}

// prepareWorkloads builds each scenario's traffic and checks it once. A
// write prepares and checks its own. For a read every server must answer
// data without errors, with no null field (a null body would mean the
// enrolment did not take), and the peer must answer the same values as
// Lectern in the same order (IDs aside, which the two encode differently).
func prepareWorkloads(ctx context.Context, a *app, list []scenario, servers []*server, f fixture) ([]workload, error) {
	work := make([]workload, len(list))
	for i, sc := range list {
		work[i].scenario = sc
		if sc.write != nil {
			work[i].traffic = make([]traffic, len(servers))
			for j, s := range servers {
				if s.isLectern() {
					t, err := sc.write(ctx, a, s, f)
					if err != nil {
						return nil, fmt.Errorf("scenario %s on %s: %w", sc.name, s.name, err)
					}
					work[i].traffic[j] = t
				}
			}
			continue
		}
		parts := []scenario{sc}
		if sc.mix != nil {
			parts = parts[:0]
			withCeiling := 0
			for _, name := range sc.mix {
				part, err := selectScenarios(name)
				if err != nil {
					return nil, fmt.Errorf("scenario %s: %w", sc.name, err)
				}
				if part[0].ceiling != "" {
					withCeiling++
				}
				part[0].name = sc.name + "/" + part[0].name // in checks and logs
				parts = append(parts, part[0])
			}
			if withCeiling != 0 && withCeiling != len(parts) {
				return nil, fmt.Errorf("scenario %s: %d of its %d reads have a SQL ceiling: it needs all or none", sc.name, withCeiling, len(parts))
			}
		}
		perServer := make([][]request, len(servers))
		for _, part := range parts {
			reqs, values, err := prepareRead(ctx, part, servers, f)
			if err != nil {
				return nil, err
			}
			work[i].reads = append(work[i].reads, checkedRead{part, values})
			for j, r := range reqs {
				perServer[j] = append(perServer[j], r)
			}
		}
		for _, reqs := range perServer {
			if sc.mix != nil {
				work[i].traffic = append(work[i].traffic, rotation(reqs))
			} else {
				work[i].traffic = append(work[i].traffic, reqs[0])
			}
		}
	}
	return work, nil
}

// prepareRead builds sc's request for each server and checks it once: it
// returns the requests, in the order of the servers, and the values of
// Lectern's answer.
func prepareRead(ctx context.Context, sc scenario, servers []*server, f fixture) (reqs []request, values []string, err error) {
	for j, s := range servers {
		query, token := sc.lectern, ""
		if !s.isLectern() {
			query = sc.peer
		} else if sc.signedIn {
			token = f.token
		}
		var vars map[string]any
		if strings.Contains(query, "$slug") {
			vars = map[string]any{"slug": f.courseSlug}
		}
		r, err := newRequest(s, query, vars, token)
		if err != nil {
			return nil, nil, err
		}
		got, err := check(ctx, r)
		if err != nil {
			return nil, nil, fmt.Errorf("scenario %s on %s: %w", sc.name, s.name, err)
		}
		if j == 0 {
			values = got
			log.Printf("scenario %s: %d values per answer (%d bytes of request)", sc.name, len(values), len(r.body))
		} else if k := firstDifference(values, got); k >= 0 {
			return nil, nil, fmt.Errorf("scenario %s: %s answers differently from %s at value %d: %q, not %q",
				sc.name, s.name, servers[0].name, k, at(got, k), at(values, k))
		}
		reqs = append(reqs, r)
	}
	return reqs, values, nil
}

// check sends r once and returns the scalar values of its data (answerValues).
func check(ctx context.Context, r request) ([]string, error) {
	data, err := r.call(ctx)
	if err != nil {
		return nil, err
	}
	return answerValues(data)
}

// answerValues returns the scalar values of a JSON answer in document
// order, as "field=value", fields named id left out. An answer with none,
// or with a null, is an error.
func answerValues(data []byte) ([]string, error) {
	var values []string
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := walk(dec, "", &values); err != nil {
		return nil, err
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("empty answer: %.300s", data)
	}
	for _, v := range values {
		if strings.HasSuffix(v, "=<nil>") {
			return nil, fmt.Errorf("null %s in %.300s", strings.TrimSuffix(v, "=<nil>"), data)
		}
	}
	return values, nil
}

// walk reads one JSON value from dec, appending its scalars to values as
// "field=value", where field is the name of the innermost enclosing member.
func walk(dec *json.Decoder, field string, values *[]string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			name, err := dec.Token()
			if err != nil {
				return err
			}
			if err := walk(dec, name.(string), values); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for dec.More() {
			if err := walk(dec, field, values); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	default:
		if field != "id" {
			*values = append(*values, fmt.Sprintf("%s=%v", field, tok))
		}
	}
	return err
}

// firstDifference returns the first index where a and b differ, or -1.
func firstDifference(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if at(a, i) != at(b, i) {
			return i
		}
	}
	return -1
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(nothing)"
}
