package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"lectern/ent/course"
	"lectern/ent/user"
	"lectern/internal/app"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/testenv"
)

// textEntry is one place a client string reaches: an operation with the
// string at one position, written once with a variable and once with a
// GraphQL literal.
type textEntry struct {
	name string
	// op is "query" or "mutation".
	op string
	// varType is the declared type of $v.
	varType string
	// body is the selection with %s where the value goes.
	body string
	// field is the root field, whose data must be null when refused.
	field string
	// path is the argument path the error message names.
	path string
	// max is the @maxLength (or the ID bound) of the position.
	max      int
	signedIn bool
}

func textEntries() []textEntry {
	return []textEntry{
		{name: "CoursesSearch", op: "query", varType: "String", field: "courses", path: "where.search", max: 100,
			body: `courses(where: {search: %s}) { totalCount }`},
		{name: "CourseSlug", op: "query", varType: "String!", field: "course", path: "slug", max: 80,
			body: `course(slug: %s) { id }`},
		{name: "LessonCourseSlug", op: "query", varType: "String!", field: "lesson", path: "courseSlug", max: 80,
			body: `lesson(courseSlug: %s, lessonSlug: "what-a-backend-does") { id }`},
		{name: "LessonSlug", op: "query", varType: "String!", field: "lesson", path: "lessonSlug", max: 80,
			body: `lesson(courseSlug: "backend-development-from-first-principles", lessonSlug: %s) { id }`},
		{name: "NodeID", op: "query", varType: "ID!", field: "node", path: "id", max: 100,
			body: `node(id: %s) { id }`},
		{name: "NodesIDsItem", op: "query", varType: "ID!", field: "nodes", path: "ids.0", max: 100,
			body: `nodes(ids: [%s]) { id }`},
		{name: "SignUpDisplayName", op: "mutation", varType: "String!", field: "signUp", path: "input.displayName", max: 1000,
			body: `signUp(input: {email: "text-rule@example.com", password: "a long enough passphrase", displayName: %s}) { userErrors { code } }`},
		{name: "SignUpEmail", op: "mutation", varType: "String!", field: "signUp", path: "input.email", max: 1000,
			body: `signUp(input: {email: %s, password: "a long enough passphrase", displayName: "Text Rule"}) { userErrors { code } }`},
		{name: "LogInEmail", op: "mutation", varType: "String!", field: "logIn", path: "input.email", max: 1000,
			body: `logIn(input: {email: %s, password: "a long enough passphrase", transport: TOKEN}) { token userErrors { code } }`},
		{name: "RequestPasswordResetEmail", op: "mutation", varType: "String!", field: "requestPasswordReset", path: "email", max: 1000,
			body: `requestPasswordReset(email: %s) { userErrors { code } }`},
		{name: "CreateApiTokenName", op: "mutation", varType: "String!", field: "createApiToken", path: "input.name", max: 1000, signedIn: true,
			body: `createApiToken(input: {name: %s, scopes: [READ]}) { token userErrors { code } }`},
		{name: "CreateCourseTitle", op: "mutation", varType: "String!", field: "createCourse", path: "input.title", max: 1000, signedIn: true,
			body: `createCourse(input: {title: %s, slug: "text-rule-course"}) { course { id } userErrors { code } }`},
		{name: "CreateCourseRequirementsItem", op: "mutation", varType: "String!", field: "createCourse", path: "input.requirements.0", max: 1000, signedIn: true,
			body: `createCourse(input: {title: "Text rule", slug: "text-rule-course", requirements: [%s]}) { course { id } userErrors { code } }`},
		{name: "CreateCourseDescription", op: "mutation", varType: "String", field: "createCourse", path: "input.description", max: 200_000, signedIn: true,
			body: `createCourse(input: {title: "Text rule", slug: "text-rule-course", description: %s}) { course { id } userErrors { code } }`},
	}
}

// badText is one class of string the text rule refuses, and how it travels.
type badText struct {
	name string
	// variable is the JSON text of $v's value (written by hand where
	// encoding/json could not produce it); empty when the value is a
	// GraphQL literal instead.
	variable func(max int) string
	// literal is the GraphQL string literal put in the document.
	literal func(max int) string
	// reason is what the error message must say after the argument path.
	reason func(max int) string
}

func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func constant(s string) func(int) string { return func(int) string { return s } }

const replacementReason = "contains a replacement character (U+FFFD: invalid UTF-8 or a lone surrogate before decoding)"

func badTexts() []badText {
	tooLong := func(max int) string { return fmt.Sprintf("is longer than %d characters", max) }
	return []badText{
		{name: "NULInVariable", variable: constant(jsonText("ab\x00c")), reason: constant("contains a NUL character")},
		{name: "NULAlone", variable: constant(jsonText("\x00")), reason: constant("contains a NUL character")},
		{name: "NULInLiteral", literal: constant(`"ab\u0000c"`), reason: constant("contains a NUL character")},
		{name: "NULInBracedLiteral", literal: constant(`"ab\u{0}c"`), reason: constant("contains a NUL character")},
		{name: "BellInVariable", variable: constant(jsonText("ding\x07")), reason: constant("contains a control character (U+0007)")},
		{name: "EscapeInLiteral", literal: constant(`"\u001b[31mred"`), reason: constant("contains a control character (U+001B)")},
		{name: "DELInVariable", variable: constant(jsonText("a\x7fb")), reason: constant("contains a control character (U+007F)")},
		{name: "C1InVariable", variable: constant(jsonText("next\u0085line")), reason: constant("contains a control character (U+0085)")},
		{name: "C1InLiteral", literal: constant(`"csi\u009b"`), reason: constant("contains a control character (U+009B)")},
		{name: "LoneSurrogateInJSON", variable: constant(`"a\ud800b"`), reason: constant(replacementReason)},
		{name: "LoneLowSurrogateInJSON", variable: constant(`"\udc00"`), reason: constant(replacementReason)},
		{name: "LoneSurrogateInLiteral", literal: constant(`"a\ud800b"`), reason: constant(replacementReason)},
		{name: "InvalidUTF8InJSON", variable: constant("\"a\xffb\""), reason: constant(replacementReason)},
		{name: "TruncatedUTF8InJSON", variable: constant("\"caf\xc3\""), reason: constant(replacementReason)},
		{name: "InvalidUTF8InLiteral", literal: constant("\"a\xfe\xffb\""), reason: constant(replacementReason)},
		{name: "ReplacementCharacterInVariable", variable: constant(jsonText("a\ufffdb")), reason: constant(replacementReason)},
		{name: "TooLongASCIIVariable", variable: func(max int) string { return jsonText(strings.Repeat("a", max+1)) }, reason: tooLong},
		{name: "TooLongMultibyteVariable", variable: func(max int) string { return jsonText(strings.Repeat("é", max+1)) }, reason: tooLong},
		{name: "TooLongLiteral", literal: func(max int) string { return `"` + strings.Repeat("x", max+1) + `"` }, reason: tooLong},
	}
}

// textRequest is a raw JSON request body for e carrying b; the body is
// assembled by hand so it can carry bytes and escapes encoding/json never
// writes.
func textRequest(e textEntry, b badText) []byte {
	var doc, vars string
	if b.variable != nil {
		doc = fmt.Sprintf("%s($v: %s) { %s }", e.op, e.varType, fmt.Sprintf(e.body, "$v"))
		vars = `{"v":` + b.variable(e.max) + `}`
	} else {
		doc = fmt.Sprintf("%s { %s }", e.op, fmt.Sprintf(e.body, b.literal(e.max)))
		vars = `{}`
	}
	return []byte(`{"query":` + rawQuoted(doc) + `,"variables":` + vars + `}`)
}

// rawQuoted quotes s as a JSON string, which is also a GraphQL string
// literal, escaping only what both grammars require (quote, backslash, C0
// controls), so bytes that are not UTF-8 reach the server as they are.
func rawQuoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// textApp is one database behind the application twice: as dev serves it
// (responses carry extensions.debug), and as stage serves it with every
// statement of the request recorded from outside, which covers mutations
// (dev leaves their statements out of responses).
type textApp struct {
	dev     *testenv.Client
	staged  http.Handler
	session string
}

// newTextApp seeds db, builds the application over it and signs the
// instructor in. The application's clock stands still at now, so throttling
// windows and session expiry are the same on both databases however long a
// run takes (now must not be in the past: cookies carry real expiry times).
func newTextApp(t testing.TB, db *database.DB, now time.Time) *textApp {
	t.Helper()
	testenv.Seeded(t, db)
	setDemoPasswords(t, db)
	clock := func() time.Time { return now }
	a := &textApp{dev: testenv.NewClient(t, db, app.WithClock(clock))}
	a.staged = stagedApp(t, db, clock)
	a.session = logInForToken(t, a.dev, testenv.DemoAccount(t, "INSTRUCTOR"))
	return a
}

// stagedApp builds the application as stage runs it.
func stagedApp(t testing.TB, db *database.DB, clock func() time.Time) http.Handler {
	t.Helper()
	env := map[string]string{
		config.VarAppEnv:             "stage",
		config.VarPublicBaseURL:      "https://courses.example.com",
		config.VarSMTPURL:            "smtp://127.0.0.1:2525",
		config.VarAllowSQLite:        "true",
		config.VarTOTPEncryptionKeys: "test:Xl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl4=",
		config.VarStorageSigningKey:  "Xl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl4=",
		config.VarAPIBaseURL:         "https://api.example.com",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("stage config: %v", err)
	}
	cfg.Storage.Dir = t.TempDir()
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	a, err := app.Build(cfg, db, logger, app.WithClock(clock))
	if err != nil {
		t.Fatalf("stage app: %v", err)
	}
	return a.Handler
}

// post sends a raw body to the dev handler, signed in when session is set.
func (a *textApp) post(t testing.TB, body []byte, session string) testenv.Response {
	t.Helper()
	return a.dev.For(t).Do(graphQLRequest(body, session))
}

// statements sends a raw body to the stage handler and returns the answer
// and every SQL statement the request ran, authentication included.
func (a *textApp) statements(t testing.TB, body []byte, session string) (testenv.Response, []string) {
	t.Helper()
	ctx, log := database.WithStatementLog(context.Background())
	rec := httptest.NewRecorder()
	a.staged.ServeHTTP(rec, graphQLRequest(body, session).WithContext(ctx))
	var r testenv.Response
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("stage answer is not JSON (%d): %s", rec.Code, rec.Body.Bytes())
	}
	r.Status = rec.Code
	return r, log.Statements()
}

func graphQLRequest(body []byte, session string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if session != "" {
		req.Header.Set("Authorization", "Bearer "+session)
	}
	return req
}

// callerFor returns the session an entry is sent with ("" for anonymous).
func (a *textApp) callerFor(e textEntry) string {
	if e.signedIn {
		return a.session
	}
	return ""
}

// authStatements is how many statements authenticating session costs on
// its own: a request that runs nothing else.
func (a *textApp) authStatements(t testing.TB, session string) int {
	t.Helper()
	r, stmts := a.statements(t, []byte(`{"query":"mutation { __typename }"}`), session)
	requireNoErrors(t, r)
	if len(stmts) == 0 {
		t.Fatalf("authenticating a session ran no statement: the statement log records nothing")
	}
	return len(stmts)
}

// answerSummary is what a client sees of a refused request, to compare the
// databases: status, and each error's code and message.
func answerSummary(r testenv.Response) string {
	parts := []string{fmt.Sprint(r.Status)}
	for _, e := range r.Errors {
		parts = append(parts, e.Extensions.Code+": "+e.Message)
	}
	return strings.Join(parts, "\n")
}

// requireFieldNull fails unless the response carries no data for field.
func requireFieldNull(t testing.TB, r testenv.Response, field string) {
	t.Helper()
	if len(r.Data) == 0 || string(r.Data) == "null" {
		return
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatalf("data %s: %v", r.Data, err)
	}
	if v, ok := data[field]; ok && string(v) != "null" {
		t.Errorf("data.%s = %s, want null", field, v)
	}
}

func TestTextInputs(t *testing.T) {
	t.Parallel()
	answers := map[string]map[string]string{}
	now := time.Now()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		app := newTextApp(t, db, now)
		seen := map[string]string{}
		answers[t.Name()] = seen
		for _, e := range textEntries() {
			for _, b := range badTexts() {
				t.Run(e.name+"/"+b.name, func(t *testing.T) {
					requireTextRefused(t, app, e, b, recordAs(seen, e.name+"/"+b.name))
				})
			}
			t.Run(e.name+"/AtTheBound", func(t *testing.T) {
				requireBoundAccepted(t, app, e, recordAs(seen, e.name+"/AtTheBound"))
			})
		}
	})
	requireSameAnswers(t, answers)
}

// requireTextRefused sends b at e and checks the refusal (requireRefused).
func requireTextRefused(t *testing.T, app *textApp, e textEntry, b badText, record func(string)) {
	t.Helper()
	requireRefused(t, app, record, refusal{
		body: textRequest(e, b), session: app.callerFor(e), query: e.op == "query", field: e.field,
		message: fmt.Sprintf("argument %q %s", e.path, b.reason(e.max)),
	})
}

// refusal is a request the text rule must refuse.
type refusal struct {
	body    []byte
	session string
	// query is true for a query, whose answer counts its statements.
	query   bool
	field   string
	message string
}

// requireRefused sends r.body and checks the refusal: status 200, one
// BAD_USER_INPUT error with a request ID and the expected message, no data
// for the field and no SQL statement beyond authenticating the caller. It
// records the answer's summary before checking anything.
func requireRefused(t *testing.T, app *textApp, record func(string), want refusal) {
	t.Helper()
	r := app.post(t, want.body, want.session)
	record(answerSummary(r))
	if r.Status != http.StatusOK {
		t.Errorf("status = %d, want 200", r.Status)
	}
	requireErrorCode(t, r, "BAD_USER_INPUT")
	if len(r.Errors) != 1 || r.Errors[0].Message != want.message {
		t.Errorf("errors = %+v, want one with message %q", r.Errors, want.message)
	}
	requireFieldNull(t, r, want.field)
	if want.query {
		if r.Extensions.Debug.SQLQueries == nil {
			t.Errorf("answer has no extensions.debug to count statements with")
		}
		if n := r.Extensions.Debug.SQLQueryCount; n != 0 {
			t.Errorf("sqlQueryCount = %d, want 0:%s", n, statementSummary(r))
		}
	}
	baseline := 0
	if want.session != "" {
		baseline = app.authStatements(t, want.session)
	}
	staged, stmts := app.statements(t, want.body, want.session)
	if got := answerSummary(staged); got != answerSummary(r) {
		t.Errorf("stage answers\n%s\ndev answers\n%s", got, answerSummary(r))
	}
	if len(stmts) != baseline {
		t.Errorf("ran %d statements, want %d (authentication only): %q", len(stmts), baseline, stmts)
	}
}

// textShape is a refused string reaching an argument some other way than
// as the whole value of a variable or a literal.
type textShape struct {
	name, query string
	vars        string // JSON object; "{}" when empty
	signedIn    bool
	field       string
	message     string
}

func textShapes() []textShape {
	const nul = `contains a NUL character`
	return []textShape{
		{name: "VariableDefault", query: `query($v: String! = "a\u0000") { course(slug: $v) { id } }`, vars: `{}`,
			field: "course", message: `argument "slug" ` + nul},
		{name: "InputObjectVariable", query: `query($w: CourseWhereInput) { courses(where: $w) { totalCount } }`,
			vars: `{"w": {"status": "PUBLISHED", "search": "go\u0000"}}`, field: "courses", message: `argument "where.search" ` + nul},
		{name: "ListVariableSecondItem", query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
			vars: `{"ids": ["Q291cnNl", "\u0085"]}`, field: "nodes", message: `argument "ids.1" contains a control character (U+0085)`},
		{name: "ListVariableGivenOneValue", query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
			vars: `{"ids": "\u0000"}`, field: "nodes", message: `argument "ids" ` + nul},
		{name: "ListLiteralWithVariableItem", query: `query($v: ID!) { nodes(ids: ["Q291cnNl", $v]) { id } }`,
			vars: `{"v": "\ud800"}`, field: "nodes", message: `argument "ids.1" ` + replacementReason},
		{name: "FragmentSpread", query: `query { ...F } fragment F on Query { course(slug: "\u0000") { id } }`, vars: `{}`,
			field: "course", message: `argument "slug" ` + nul},
		{name: "InlineFragment", query: `query { ... on Query { lesson(courseSlug: "a", lessonSlug: "\u007f") { id } } }`, vars: `{}`,
			field: "lesson", message: `argument "lessonSlug" contains a control character (U+007F)`},
		{name: "SecondAlias", query: `query { a: course(slug: "ok") { id } b: course(slug: "\u0000") { id } }`, vars: `{}`,
			field: "a", message: `argument "slug" ` + nul},
		{name: "CustomScalarLiteral", query: `query { courses(where: {publishedAfter: "\u0000"}) { totalCount } }`, vars: `{}`,
			field: "courses", message: `argument "where.publishedAfter" ` + nul},
		// GraphQL source text may hold DEL, C1 controls and U+FFFD as they
		// are, without an escape.
		{name: "RawDELInLiteral", query: "query { course(slug: \"a\x7fb\") { id } }", vars: `{}`,
			field: "course", message: `argument "slug" contains a control character (U+007F)`},
		{name: "RawC1InBlockString", query: "query { courses(where: {search: \"\"\"a\u0085b\"\"\"}) { totalCount } }", vars: `{}`,
			field: "courses", message: `argument "where.search" contains a control character (U+0085)`},
		{name: "RawReplacementCharacterInLiteral", query: "query { course(slug: \"\ufffd\") { id } }", vars: `{}`,
			field: "course", message: `argument "slug" ` + replacementReason},
		{name: "ListVariableGivenOneValueInInput", signedIn: true,
			query: `mutation($r: [String!]) { createCourse(input: {title: "Fine", slug: "fine", requirements: $r}) { course { id requirements } userErrors { code } } }`,
			vars:  `{"r": "bad\u0000"}`, field: "createCourse", message: `argument "input.requirements" ` + nul},
		{name: "InputObjectVariableListGivenOneValue", signedIn: true,
			query: `mutation($in: SetCourseTagsInput!) { setCourseTags(input: $in) { userErrors { code } } }`,
			vars:  `{"in": {"courseId": "Q291cnNl", "tags": "go\u0000"}}`, field: "setCourseTags", message: `argument "input.tags" ` + nul},
		{name: "NestedInputVariableList", signedIn: true,
			query: `mutation($in: CreateCourseInput!) { createCourse(input: $in) { course { id } userErrors { code } } }`,
			vars:  `{"in": {"title": "Fine", "slug": "fine", "requirements": ["fine", "bad\u0000"]}}`,
			field: "createCourse", message: `argument "input.requirements.1" ` + nul},
		{name: "InputListLiteralWithVariableItem", signedIn: true,
			query: `mutation($t: String!) { setCourseTags(input: {courseId: "Q291cnNl", tags: ["go", $t]}) { userErrors { code } } }`,
			vars:  `{"t": "\u001b"}`, field: "setCourseTags", message: `argument "input.tags.1" contains a control character (U+001B)`},
	}
}

func TestTextInputsShapes(t *testing.T) {
	t.Parallel()
	answers := map[string]map[string]string{}
	now := time.Now()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		app := newTextApp(t, db, now)
		seen := map[string]string{}
		answers[t.Name()] = seen
		for _, sh := range textShapes() {
			t.Run(sh.name, func(t *testing.T) {
				session := ""
				if sh.signedIn {
					session = app.session
				}
				requireRefused(t, app, recordAs(seen, sh.name), refusal{
					body:    []byte(`{"query":` + rawQuoted(sh.query) + `,"variables":` + sh.vars + `}`),
					session: session, query: strings.HasPrefix(sh.query, "query"), field: sh.field, message: sh.message,
				})
			})
		}
		t.Run("StatementLogRecords", func(t *testing.T) {
			// The zero counts above mean something only if a request that
			// reads the database is seen doing so.
			_, stmts := app.statements(t, []byte(`{"query":"{ courses(first: 1) { totalCount } }"}`), "")
			if len(stmts) == 0 {
				t.Fatal("a catalogue query ran no recorded statement")
			}
		})
	})
	requireSameAnswers(t, answers)
}

// requireBoundAccepted sends a string exactly as long as e allows, in
// two-byte characters (so bytes exceed the bound but code points do not):
// whatever the domain answers, the text rule does not refuse it.
func requireBoundAccepted(t *testing.T, app *textApp, e textEntry, record func(string)) {
	t.Helper()
	atBound := badText{variable: func(max int) string { return jsonText(strings.Repeat("é", max)) }}
	r := app.post(t, textRequest(e, atBound), app.callerFor(e))
	record(answerSummary(r))
	if r.Status != http.StatusOK {
		t.Errorf("status = %d, want 200", r.Status)
	}
	for _, err := range r.Errors {
		if strings.HasPrefix(err.Message, fmt.Sprintf("argument %q", e.path)) || err.Extensions.Code == "INTERNAL" {
			t.Errorf("a string of %d characters at %s is refused: %+v", e.max, e.path, err)
		}
	}
}

// recordAs returns a function that keeps an answer's summary under key.
func recordAs(answers map[string]string, key string) func(string) {
	return func(summary string) { answers[key] = summary }
}

// requireSameAnswers fails when the databases answered any request
// differently; with one database there is nothing to compare.
func requireSameAnswers(t *testing.T, answers map[string]map[string]string) {
	t.Helper()
	sqlite, postgres := answers[t.Name()+"/sqlite"], answers[t.Name()+"/postgres"]
	if sqlite == nil || postgres == nil {
		return
	}
	keys := make([]string, 0, len(sqlite))
	for k := range sqlite {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if sqlite[k] != postgres[k] {
			t.Errorf("%s: SQLite answers\n%s\nPostgreSQL answers\n%s", k, sqlite[k], postgres[k])
		}
	}
}

func TestTextInputsStoredNFC(t *testing.T) {
	t.Parallel()
	now := time.Now()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		app := newTextApp(t, db, now)
		t.Run("SignUpDisplayName", func(t *testing.T) {
			const email = "nfc-sign-up@example.com"
			r := app.dev.For(t).Query(`mutation($n: String!) { signUp(input: {email: "`+email+`", password: "a long enough passphrase", displayName: $n}) { userErrors { code } } }`,
				map[string]any{"n": "Jose\u0301 Nun\u0303ez"})
			var out struct {
				SignUp struct{ UserErrors []struct{ Code string } }
			}
			r.Decode(t, &out)
			if len(out.SignUp.UserErrors) > 0 {
				t.Fatalf("signUp: %+v", out.SignUp.UserErrors)
			}
			u, err := db.Ent.User.Query().Where(user.Email(email)).Only(asSystem())
			if err != nil {
				t.Fatal(err)
			}
			if want := "Jos\u00e9 Nu\u00f1ez"; u.DisplayName != want {
				t.Errorf("stored display name = %q, want the NFC form %q", u.DisplayName, want)
			}
		})
		t.Run("CourseTitleAndMultilineDescription", func(t *testing.T) {
			description := "First line\n\tindented line\r\nthird line\twith a tab"
			var out struct {
				CreateCourse struct {
					Course *struct {
						ID, Title, Description string
						Requirements           []string
					}
					UserErrors []struct{ Code string }
				}
			}
			asBearer(t, app.dev, app.session, `mutation($in: CreateCourseInput!) { createCourse(input: $in) { course { id title description requirements } userErrors { code } } }`,
				map[string]any{"in": map[string]any{
					"title": "Cafe\u0301 cre\u0300me", "slug": "nfc-course", "description": description,
					"requirements": []any{"A\u030a ngstro\u0308m"},
				}}).Decode(t, &out)
			c := out.CreateCourse.Course
			if c == nil {
				t.Fatalf("createCourse: %+v", out.CreateCourse.UserErrors)
			}
			if want := "Caf\u00e9 cr\u00e8me"; c.Title != want {
				t.Errorf("title = %q, want the NFC form %q", c.Title, want)
			}
			if want := []string{"\u00c5 ngstr\u00f6m"}; !slices.Equal(c.Requirements, want) {
				t.Errorf("requirements = %q, want the NFC form %q", c.Requirements, want)
			}
			if c.Description != description {
				t.Errorf("description = %q, want tabs and line breaks kept: %q", c.Description, description)
			}
			if stored := courseTitle(t, db, "nfc-course"); stored != "Caf\u00e9 cr\u00e8me" {
				t.Errorf("stored title = %q, want the NFC form", stored)
			}
			// The owner sees the draft; either spelling of the term finds it.
			for _, term := range []string{"Caf\u00e9 cr", "Cafe\u0301 cr"} {
				if n := searchCount(t, app, term); n != 1 {
					t.Errorf("search %q finds %d courses, want 1", term, n)
				}
			}
		})
	})
}

func courseTitle(t *testing.T, db *database.DB, slug string) string {
	t.Helper()
	c, err := db.Ent.Course.Query().Where(course.Slug(slug)).Only(asSystem())
	if err != nil {
		t.Fatalf("course %s: %v", slug, err)
	}
	return c.Title
}

func searchCount(t *testing.T, app *textApp, term string) int {
	t.Helper()
	var out struct{ Courses struct{ TotalCount int } }
	asBearer(t, app.dev, app.session, `query($s: String) { courses(where: {search: $s}) { totalCount } }`,
		map[string]any{"s": term}).Decode(t, &out)
	return out.Courses.TotalCount
}
