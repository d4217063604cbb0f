package graph_test

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"lectern/ent/course"
	"lectern/ent/faqentry"
	"lectern/ent/review"
	"lectern/ent/section"
	"lectern/ent/user"
	"lectern/graph"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/text"
)

// textPosition is one place of the schema a client string reaches: a String
// or ID argument of a root field, or a String or ID field of an input
// object below one, at any depth of lists.
type textPosition struct {
	op    string // "query" or "mutation"
	field *ast.FieldDefinition
	// steps lead from the argument to the string: the argument's name,
	// then input field names, with "[]" for a list item.
	steps []string
	leaf  string // "String" or "ID"
	max   int
}

func (p textPosition) String() string {
	return p.op + "." + p.field.Name + "(" + strings.Join(p.steps, ".") + ")"
}

// argPath is the position as error messages name it: list items by index.
func (p textPosition) argPath() string {
	return strings.ReplaceAll(strings.Join(p.steps, "."), "[]", "0")
}

// textPositions lists every String and ID position reachable from the
// root fields of Query and Mutation.
func textPositions(s *ast.Schema) []textPosition {
	var out []textPosition
	for _, root := range []struct {
		op  string
		def *ast.Definition
	}{{"query", s.Query}, {"mutation", s.Mutation}} {
		for _, f := range root.def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			for _, a := range f.Arguments {
				collectPositions(s, a.Type, a.Directives, []string{a.Name}, nil, func(steps []string, leaf string, max int) {
					out = append(out, textPosition{op: root.op, field: f, steps: steps, leaf: leaf, max: max})
				})
			}
		}
	}
	return out
}

// collectPositions calls emit for each string position under typ; inside
// names the input objects on the way, so a recursive input type ends.
func collectPositions(s *ast.Schema, typ *ast.Type, dirs ast.DirectiveList, steps, inside []string,
	emit func(steps []string, leaf string, max int)) {
	if typ.Elem != nil {
		collectPositions(s, typ.Elem, dirs, append(slices.Clone(steps), "[]"), inside, emit)
		return
	}
	switch def := s.Types[typ.NamedType]; {
	case typ.NamedType == "String":
		emit(steps, "String", declaredMaxLength(dirs))
	case typ.NamedType == "ID":
		emit(steps, "ID", graph.MaxIDLength)
	case def != nil && def.Kind == ast.InputObject && !slices.Contains(inside, def.Name):
		for _, fd := range def.Fields {
			collectPositions(s, fd.Type, fd.Directives, append(slices.Clone(steps), fd.Name), append(inside, def.Name), emit)
		}
	}
}

func declaredMaxLength(dirs ast.DirectiveList) int {
	if d := dirs.ForName("maxLength"); d != nil {
		if n, err := strconv.Atoi(d.Arguments.ForName("max").Value.Raw); err == nil {
			return n
		}
	}
	return graph.DefaultMaxLength
}

// listItem reports whether p is an item of a list.
func (p textPosition) listItem() bool { return p.steps[len(p.steps)-1] == "[]" }

// wholeList is the position of the list p is an item of.
func (p textPosition) wholeList() textPosition {
	p.steps = p.steps[:len(p.steps)-1]
	return p
}

// document is the smallest valid operation with value (a variable declared
// as varType, or a literal when varType is "") at p: every other required
// argument and input field gets a plausible value, IDs as the variables ids
// names (declared as ID!).
func (p textPosition) document(s *ast.Schema, value, varType string) (doc string, ids []string) {
	b := docBuilder{schema: s, root: p.field.Name}
	var args []string
	for _, a := range p.field.Arguments {
		switch {
		case a.Name == p.steps[0]:
			args = append(args, a.Name+": "+b.along(a.Type, p.steps[1:], value))
		case a.Type.NonNull && a.DefaultValue == nil:
			args = append(args, a.Name+": "+b.plausible(a.Type, a.Name))
		}
	}
	var decls []string
	if varType != "" {
		decls = append(decls, "$v: "+varType)
	}
	for _, id := range b.ids {
		decls = append(decls, "$"+id+": ID!")
	}
	head := p.op
	if len(decls) > 0 {
		head += "(" + strings.Join(decls, ", ") + ")"
	}
	return fmt.Sprintf("%s { %s(%s)%s }", head, p.field.Name, strings.Join(args, ", "), selection(s, p.field.Type)), b.ids
}

type docBuilder struct {
	schema *ast.Schema
	root   string
	ids    []string
}

// along writes the value of typ that leads down steps to value.
func (b *docBuilder) along(typ *ast.Type, steps []string, value string) string {
	if len(steps) == 0 {
		return value
	}
	if steps[0] == "[]" {
		return "[" + b.along(typ.Elem, steps[1:], value) + "]"
	}
	var fields []string
	for _, fd := range b.schema.Types[typ.NamedType].Fields {
		switch {
		case fd.Name == steps[0]:
			fields = append(fields, fd.Name+": "+b.along(fd.Type, steps[1:], value))
		case fd.Type.NonNull && fd.DefaultValue == nil:
			fields = append(fields, fd.Name+": "+b.plausible(fd.Type, fd.Name))
		}
	}
	return "{" + strings.Join(fields, ", ") + "}"
}

// plausible writes a value of typ a client could well send for name.
func (b *docBuilder) plausible(typ *ast.Type, name string) string {
	if typ.Elem != nil {
		return "[" + b.plausible(typ.Elem, name) + "]"
	}
	def := b.schema.Types[typ.NamedType]
	switch {
	case def.Kind == ast.Enum:
		return def.EnumValues[0].Name
	case def.Kind == ast.InputObject:
		var fields []string
		for _, fd := range def.Fields {
			if fd.Type.NonNull && fd.DefaultValue == nil {
				fields = append(fields, fd.Name+": "+b.plausible(fd.Type, fd.Name))
			}
		}
		return "{" + strings.Join(fields, ", ") + "}"
	}
	switch typ.NamedType {
	case "ID":
		id := idKind(b.root, name)
		if !slices.Contains(b.ids, id) {
			b.ids = append(b.ids, id)
		}
		return "$" + id
	case "Int":
		if n, ok := plausibleInts[name]; ok {
			return n
		}
		return "1"
	case "Float":
		return "1.5"
	case "Boolean":
		return "true"
	case "Time":
		return `"2026-11-01T12:00:00Z"`
	}
	return strconv.Quote(plausibleStrings[name])
}

// plausibleStrings fill required String fields other than the one under
// test; unknown names get "".
var plausibleStrings = map[string]string{
	"email": "someone@example.com", "newEmail": "someone.else@example.com",
	"password": "not the password, but long", "currentPassword": "not the password, but long",
	"newPassword": "a long enough passphrase", "displayName": "Someone",
	"title": "A title", "slug": "a-slug", "question": "Why?", "answer": "Because.",
	"name": "a token", "code": "123456", "token": "not-a-token", "challenge": "not-a-challenge",
	"courseSlug": "backend-development-from-first-principles", "lessonSlug": "what-a-backend-does",
	"tags": "backend",
}

// plausibleInts fill required Int fields whose 1 would be refused.
var plausibleInts = map[string]string{"rating": "5", "position": "0"}

// idKind names the kind of object an ID argument or field points at, so it
// can get the ID of a real object of that kind.
func idKind(root, name string) string {
	switch name {
	case "courseId", "sectionId", "lessonId", "userId":
		return strings.TrimSuffix(name, "Id")
	case "actorId":
		return "user"
	}
	for _, k := range []struct{ in, kind string }{
		{"Course", "course"}, {"Section", "section"}, {"Lesson", "lesson"}, {"Faq", "faq"}, {"Review", "review"}, {"User", "user"},
	} {
		if strings.Contains(root, k.in) {
			return k.kind
		}
	}
	return "course"
}

// selection asks for what makes the field do its work: the count of a
// connection, the ID of an object, the user errors of a payload.
func selection(s *ast.Schema, typ *ast.Type) string {
	def := s.Types[typ.Name()]
	if def == nil || (def.Kind != ast.Object && def.Kind != ast.Interface) {
		return ""
	}
	var sel []string
	for _, name := range []string{"id", "totalCount"} {
		if def.Fields.ForName(name) != nil {
			sel = append(sel, name)
		}
	}
	if def.Fields.ForName("userErrors") != nil {
		sel = append(sel, "userErrors { code field }")
	}
	if len(sel) == 0 {
		sel = append(sel, "__typename")
	}
	return " { " + strings.Join(sel, " ") + " }"
}

// fuzzDB is one database behind the application, with the IDs of real
// objects of each kind and a signed-in instructor who owns the course.
type fuzzDB struct {
	name string
	app  *textApp
	ids  map[string]string
}

func openFuzzDB(t testing.TB, dialect string, now time.Time) *fuzzDB {
	t.Helper()
	return openFuzzDBOn(t, testenv.Open(t, dialect), now)
}

// openFuzzDBOn seeds db and signs the instructor in.
func openFuzzDBOn(t testing.TB, db *database.DB, now time.Time) *fuzzDB {
	t.Helper()
	app := newTextApp(t, db, now)
	const slug = "backend-development-from-first-principles"
	ctx := asSystem()
	inCourse := course.Slug(slug)
	sec, err := db.Ent.Section.Query().Where(section.HasCourseWith(inCourse)).First(ctx)
	if err != nil {
		t.Fatal(err)
	}
	faq, err := db.Ent.FAQEntry.Query().Where(faqentry.HasCourseWith(inCourse)).First(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := db.Ent.Review.Query().Where(review.HasCourseWith(inCourse)).First(ctx)
	if err != nil {
		t.Fatal(err)
	}
	learner, err := db.Ent.User.Query().Where(user.Email(testenv.DemoAccount(t, "LEARNER").Email)).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &fuzzDB{name: db.Dialect, app: app, ids: map[string]string{
		"course":  courseGlobalID(t, db, slug),
		"section": sec.GlobalID().String(),
		"lesson":  lessonGlobalID(t, db, slug, "what-a-backend-does"),
		"faq":     faq.GlobalID().String(),
		"review":  rev.GlobalID().String(),
		"user":    learner.GlobalID().String(),
	}}
}

// fuzzDBs opens SQLite, and PostgreSQL when the suite runs on it.
func fuzzDBs(t testing.TB) []*fuzzDB {
	t.Helper()
	now := time.Now()
	dbs := []*fuzzDB{openFuzzDB(t, database.SQLite, now)}
	if os.Getenv("TEST_DATABASE_URL") != "" || os.Getenv("CI") == "true" {
		dbs = append(dbs, openFuzzDB(t, database.Postgres, now))
	}
	return dbs
}

// Ways a probe carries its string.
const (
	asVariable = "a variable"
	asLiteral  = "a literal"
	// asOneValueList sends the string alone for a list variable, which
	// GraphQL coerces into a list of one.
	asOneValueList = "a list variable of one value"
)

// textProbe is one request of a fuzz iteration.
type textProbe struct {
	pos      textPosition
	how      string
	signedIn bool
}

// send posts the probe carrying s to one database and returns the answer.
func (p textProbe) send(t *testing.T, s *ast.Schema, db *fuzzDB, value string) testenv.Response {
	t.Helper()
	var doc string
	var ids, vars []string
	switch p.how {
	case asLiteral:
		doc, ids = p.pos.document(s, rawQuoted(value), "")
	case asOneValueList:
		doc, ids = p.pos.wholeList().document(s, "$v", "["+p.pos.leaf+"!]!")
		vars = append(vars, `"v":`+rawQuoted(value))
	default:
		doc, ids = p.pos.document(s, "$v", p.pos.leaf+"!")
		vars = append(vars, `"v":`+rawQuoted(value))
	}
	for _, id := range ids {
		vars = append(vars, strconv.Quote(id)+":"+strconv.Quote(db.ids[id]))
	}
	body := []byte(`{"query":` + rawQuoted(doc) + `,"variables":{` + strings.Join(vars, ",") + `}}`)
	session := ""
	if p.signedIn {
		session = db.app.session
	}
	return db.app.post(t, body, session)
}

func (p textProbe) String() string {
	who := "anonymous"
	if p.signedIn {
		who = "signed in"
	}
	return fmt.Sprintf("%s as %s, %s", p.pos, p.how, who)
}

// argPath is the argument path the text rule's refusal names: a single
// value sent for a list is named as the list.
func (p textProbe) argPath() string {
	if p.how == asOneValueList {
		return p.pos.wholeList().argPath()
	}
	return p.pos.argPath()
}

// refusedBy reports whether message is the text rule's refusal of the
// probe's string. A literal longer than every argument accepts is refused
// earlier, with the document, without naming its argument.
func (p textProbe) refusedBy(message string) bool {
	return strings.HasPrefix(message, fmt.Sprintf("argument %q ", p.argPath())) ||
		(p.how == asLiteral && strings.HasPrefix(message, "a string argument is longer than "))
}

// errorCodes lists the codes of an answer, for comparing databases.
func errorCodes(r testenv.Response) string {
	codes := []string{strconv.Itoa(r.Status)}
	for _, e := range r.Errors {
		codes = append(codes, e.Extensions.Code)
	}
	return strings.Join(codes, " ")
}

// checkTextAnswer fails on an answer no input may produce: a status other
// than 200, no JSON, an INTERNAL error, an error without a code or request
// ID; and, when the text rule must refuse value at p, anything but that
// refusal at no cost.
func checkTextAnswer(t *testing.T, p textProbe, value string, r testenv.Response) {
	t.Helper()
	if r.Status != http.StatusOK || (len(r.Data) == 0 && len(r.Errors) == 0) {
		t.Fatalf("%s with %s: status %d, data %s, errors %+v", p, clip(value), r.Status, r.Data, r.Errors)
	}
	for _, e := range r.Errors {
		switch e.Extensions.Code {
		case "", "INTERNAL":
			t.Fatalf("%s with %s: error %+v", p, clip(value), e)
		case "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED":
			// Every document here is valid whatever the string: this
			// is a mistake of the test or of the server's parser.
			t.Fatalf("%s with %s: the document was refused: %+v", p, clip(value), e)
		}
		if e.Extensions.RequestID == "" {
			t.Fatalf("%s with %s: error without a request ID: %+v", p, clip(value), e)
		}
	}
	if text.Check(value) == nil && text.Len(value) <= p.pos.max {
		return
	}
	if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "BAD_USER_INPUT" || !p.refusedBy(r.Errors[0].Message) {
		t.Fatalf("%s with %s: want the text rule's refusal, got errors %+v, data %s", p, clip(value), r.Errors, r.Data)
	}
	if p.pos.op == "query" && r.Extensions.Debug.SQLQueryCount != 0 {
		t.Fatalf("%s with %s: refused after %d statements:%s", p, clip(value), r.Extensions.Debug.SQLQueryCount, statementSummary(r))
	}
}

// clip quotes s for a failure message, shortened when long.
func clip(s string) string {
	if len(s) <= 80 {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:80], len(s))
}

// probesFor picks the requests of one fuzz iteration from the input
// itself, so a failing input replays the same requests: n positions, each
// sent as a variable, anonymously and signed in; the first also as a
// literal, and list items also alone for the list.
func probesFor(value string, positions []textPosition, n int) []textProbe {
	h := fnv.New64a()
	_, _ = h.Write([]byte(value))
	seed := h.Sum64()
	var probes []textProbe
	for i := range n {
		pos := positions[(seed+uint64(i)*7919)%uint64(len(positions))]
		probes = append(probes, textProbe{pos: pos, how: asVariable}, textProbe{pos: pos, how: asVariable, signedIn: true})
		if i == 0 {
			probes = append(probes, textProbe{pos: pos, how: asLiteral, signedIn: true})
		}
		if pos.listItem() {
			probes = append(probes, textProbe{pos: pos, how: asOneValueList, signedIn: true})
		}
	}
	return probes
}

// textFuzzSeeds are the starting corpus: empty and plain text, each class
// the text rule refuses, a decomposed accent, the characters NFC expands,
// and strings past the bounds.
func textFuzzSeeds() []string {
	return []string{
		"", "a", "\x00", "\u0000x", "\ufffd", "\x7f", "\u0085", "\xff", "e\u0301",
		string([]byte{0xed, 0xa0, 0x80}), "\t\n\r", "someone@example.com", "a-slug",
		"\u0344\ufb2c\U0001d160", "Q291cnNl",
		strings.Repeat("a", 81), strings.Repeat("é", 101), strings.Repeat("x", 1001),
	}
}

// FuzzTextInputs sends arbitrary strings to String and ID positions of the
// schema, on SQLite and (when configured) PostgreSQL: whatever the string,
// the answer is JSON with status 200, never INTERNAL, the same codes on
// both databases, and the text rule's refusal at no cost whenever the rule
// must refuse the string.
func FuzzTextInputs(f *testing.F) {
	for _, s := range textFuzzSeeds() {
		f.Add(s)
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	positions := textPositions(schema)
	dbs := fuzzDBs(f)
	f.Fuzz(func(t *testing.T, value string) {
		for _, p := range probesFor(value, positions, 4) {
			var first string
			for i, db := range dbs {
				r := p.send(t, schema, db, value)
				checkTextAnswer(t, p, value, r)
				if i == 0 {
					first = errorCodes(r)
				} else if got := errorCodes(r); got != first {
					t.Fatalf("%s with %s: %s answers %s, %s answers %s", p, clip(value), dbs[0].name, first, db.name, got)
				}
			}
		}
	})
}

// TestTextInputsEveryPosition sends a NUL and a string one character too
// long to every String and ID position of the schema, on both databases,
// as a variable (anonymously) and as a literal (signed in), and list items
// also alone for the list: each is refused by the text rule, naming the
// position, before anything runs.
func TestTextInputsEveryPosition(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	positions := textPositions(schema)
	if len(positions) < 60 {
		t.Fatalf("found %d string positions in the schema; the walk misses some", len(positions))
	}
	for _, want := range []string{"query.courses(where.search)", "query.nodes(ids.[])", "mutation.createCourse(input.requirements.[])",
		"mutation.signUp(input.displayName)", "mutation.addCourseMember(input.userId)"} {
		if !slices.ContainsFunc(positions, func(p textPosition) bool { return p.String() == want }) {
			t.Errorf("position %s not found", want)
		}
	}
	now := time.Now()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		fdb := openFuzzDBOn(t, db, now)
		for _, pos := range positions {
			t.Run(pos.String(), func(t *testing.T) {
				for _, value := range []string{"a\x00b", strings.Repeat("x", pos.max+1)} {
					probes := []textProbe{{pos: pos, how: asVariable}, {pos: pos, how: asLiteral, signedIn: true}}
					if pos.listItem() {
						probes = append(probes, textProbe{pos: pos, how: asOneValueList, signedIn: true})
					}
					for _, p := range probes {
						checkTextAnswer(t, p, value, p.send(t, schema, fdb, value))
					}
				}
			})
		}
	})
}
