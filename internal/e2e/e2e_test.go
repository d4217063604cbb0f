package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"lectern/internal/config"
	"lectern/internal/seed"
	"lectern/internal/testenv"
)

// The demo dataset's flagship course and its sections, in order.
const flagshipSlug = "backend-development-from-first-principles"

var flagshipSections = []string{"Foundations", "Data", "API design", "Security", "Infrastructure", "Shipping", "Testing"}

// Bounds that keep a broken server from hanging the run. They are never
// asserted as timings.
const (
	stopWait    = 30 * time.Second // longer than the default SHUTDOWN_TIMEOUT
	commandWait = 2 * time.Minute  // one `lectern migrate` or `lectern seed`
	suiteWait   = 2 * time.Minute  // all GraphQL requests of one suite
)

// binDir holds the lectern binary built for this run.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lectern-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	binDir = dir
	code := testenv.Main(m)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func TestEndToEnd(t *testing.T) {
	onEachDatabase(t, testAPI)
}

// onEachDatabase runs test, in a subtest per database, against a server
// started with the demo dataset on that database, then stops the server.
func onEachDatabase(t *testing.T, test func(t *testing.T, srv *server)) {
	t.Run("sqlite", func(t *testing.T) {
		// Defaults: dev, so the server migrates and loads the demo data.
		srv := startServer(t)
		test(t, srv)
		srv.stop(t)
	})
	t.Run("postgres", func(t *testing.T) {
		env := []string{config.VarDatabaseURL + "=" + testenv.EmptyPostgres(t)}
		runLectern(t, env, "migrate")
		if out := runLectern(t, env, "seed"); !strings.Contains(out, "demo dataset loaded") {
			t.Fatalf("lectern seed did not load the demo dataset:\n%s", out)
		}
		srv := startServer(t, env...)
		test(t, srv)
		srv.stop(t)
	})
}

// testAPI runs the typed-client checks against a server holding the demo
// dataset, as an anonymous caller.
func testAPI(t *testing.T, srv *server) {
	ctx, cancel := context.WithTimeout(t.Context(), suiteWait)
	defer cancel()
	client := graphql.NewClient(srv.URL+"/v1/graphql", http.DefaultClient)

	t.Run("catalogue", func(t *testing.T) { testCatalogue(ctx, t, client) })
	t.Run("course page", func(t *testing.T) { testCoursePage(ctx, t, client) })
	t.Run("node", func(t *testing.T) { testNode(ctx, t, client) })
	t.Run("malformed id", func(t *testing.T) { testMalformedID(ctx, t, client) })
	t.Run("tags", func(t *testing.T) { testTags(ctx, t, client) })
	t.Run("sign in", func(t *testing.T) { testSignIn(ctx, t, srv) })
}

// bearer adds an Authorization header to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// testSignIn signs in as the demo learner whose credentials dev prints at
// start, uses the session token as a bearer, checks that the sign-in
// notice was sent by the server's own job worker, and signs out.
func testSignIn(ctx context.Context, t *testing.T, srv *server) {
	learner := seed.DemoAccounts[2]
	if !strings.Contains(srv.output.String(), learner.Email+" / "+learner.Password) {
		t.Fatalf("dev start did not print the demo learner's credentials; output:\n%s", srv.output)
	}
	anon := graphql.NewClient(srv.URL+"/v1/graphql", http.DefaultClient)
	resp, err := LogInForToken(ctx, anon, learner.Email, learner.Password)
	if err != nil {
		t.Fatal(err)
	}
	in := resp.LogIn
	if len(in.UserErrors) > 0 || in.Token == nil || in.Viewer == nil {
		t.Fatalf("logIn: %+v", in)
	}
	if in.Viewer.User.Email == nil || *in.Viewer.User.Email != learner.Email {
		t.Errorf("logIn viewer email %v, want %s", in.Viewer.User.Email, learner.Email)
	}
	authed := graphql.NewClient(srv.URL+"/v1/graphql", &http.Client{Transport: bearer{*in.Token}})
	me, err := Me(ctx, authed)
	if err != nil {
		t.Fatal(err)
	}
	if me.Viewer == nil || me.Viewer.User.Role == nil || *me.Viewer.User.Role != UserRoleLearner {
		t.Fatalf("viewer with the token: %+v", me.Viewer)
	}
	if len(me.Viewer.Sessions) == 0 || !me.Viewer.Sessions[0].Current || me.Viewer.Sessions[0].Transport != SessionTransportToken {
		t.Errorf("sessions: %+v, want the current TOKEN session first", me.Viewer.Sessions)
	}
	waitForMail(t, srv, learner.Email)
	if out, err := LogOutNow(ctx, authed); err != nil || out.LogOut.SessionId == nil {
		t.Fatalf("logOut: %+v, %v", out, err)
	}
	if _, err := Me(ctx, authed); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("the token after logOut: %v, want a 401 refusal", err)
	}
}

// waitForMail waits for the server's job worker to write a message to to
// under DATA_DIR/mail (dev's file sender).
func waitForMail(t *testing.T, srv *server, to string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(srv.cmd.Dir, "mail", "*.eml"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), "To: "+to) {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("no email to %s under %s/mail within 20s", to, srv.cmd.Dir)
}

// testCatalogue walks every published course two at a time, newest first,
// following endCursor, then checks a filtered query against the walk.
func testCatalogue(ctx context.Context, t *testing.T, client graphql.Client) {
	const pageSize = 2
	order := []CourseOrder{{Field: CourseOrderFieldPublishedAt, Direction: OrderDirectionDesc}}
	total := -1
	seen := map[string]bool{}
	levels := map[string]CourseLevel{} // course ID -> level
	var after *string
	var previous time.Time
	for pages := 1; ; pages++ {
		resp, err := CataloguePage(ctx, client, pageSize, after, nil, order)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		conn := resp.Courses
		if total < 0 {
			total = conn.TotalCount
			if total <= pageSize {
				t.Fatalf("totalCount = %d; the demo catalogue spans more than one page of %d", total, pageSize)
			}
		} else if conn.TotalCount != total {
			t.Errorf("page %d: totalCount = %d, first page said %d", pages, conn.TotalCount, total)
		}
		if n := len(conn.Edges); n == 0 || n > pageSize {
			t.Fatalf("page %d has %d courses, want 1 to %d", pages, n, pageSize)
		}
		for _, edge := range conn.Edges {
			if edge == nil || edge.Node == nil {
				t.Fatalf("page %d has a null edge or node", pages)
			}
			c := edge.Node
			if seen[c.Id] {
				t.Errorf("course %s (%s) returned twice", c.Id, c.Slug)
			}
			seen[c.Id] = true
			levels[c.Id] = c.Level
			checkCatalogueCourse(t, c)
			if c.PublishedAt == nil {
				t.Errorf("%s: publishedAt is null for a published course", c.Slug)
			} else {
				if !previous.IsZero() && c.PublishedAt.After(previous) {
					t.Errorf("%s: published %s, after the course before it (%s); want newest first", c.Slug, c.PublishedAt, previous)
				}
				previous = *c.PublishedAt
			}
		}
		if !conn.PageInfo.HasNextPage {
			break
		}
		if conn.PageInfo.EndCursor == nil {
			t.Fatalf("page %d: hasNextPage without endCursor", pages)
		}
		if pages > total {
			t.Fatalf("still hasNextPage after %d pages of %d for %d courses", pages, pageSize, total)
		}
		after = conn.PageInfo.EndCursor
	}
	if len(seen) != total {
		t.Errorf("the walk saw %d distinct courses, totalCount is %d", len(seen), total)
	}
	t.Logf("walked %d published courses in pages of %d", len(seen), pageSize)

	beginner := CourseLevelBeginner
	resp, err := CataloguePage(ctx, client, 100, nil, &CourseWhereInput{Level: &beginner}, order)
	if err != nil {
		t.Fatalf("courses(where: {level: BEGINNER}): %v", err)
	}
	var got, want []string
	for _, edge := range resp.Courses.Edges {
		if edge == nil || edge.Node == nil {
			t.Fatal("filtered page has a null edge or node")
		}
		got = append(got, edge.Node.Id)
	}
	for id, level := range levels {
		if level == CourseLevelBeginner {
			want = append(want, id)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("BEGINNER courses: filter returned %v, the walk saw %v (want the same, non-empty)", got, want)
	}
	if resp.Courses.TotalCount != len(got) {
		t.Errorf("BEGINNER courses: totalCount = %d, %d returned", resp.Courses.TotalCount, len(got))
	}
}

func checkCatalogueCourse(t *testing.T, c *CataloguePageCoursesCourseConnectionEdgesCourseEdgeNodeCourse) {
	t.Helper()
	if c.Id == "" || c.Slug == "" || c.Title == "" {
		t.Errorf("course with empty id, slug or title: %+v", c)
	}
	if !slices.Contains(AllCourseLevel, c.Level) {
		t.Errorf("%s: level %q", c.Slug, c.Level)
	}
	if c.RatingAverage < 0 || c.RatingAverage > 5 {
		t.Errorf("%s: ratingAverage %v outside 0..5", c.Slug, c.RatingAverage)
	}
	if c.Owner.DisplayName == "" {
		t.Errorf("%s: owner has no displayName", c.Slug)
	}
	if len(c.Instructors) == 0 || c.Instructors[0].DisplayName != c.Owner.DisplayName {
		t.Errorf("%s: instructors %+v, want the owner %q first", c.Slug, c.Instructors, c.Owner.DisplayName)
	}
	for _, tag := range c.Tags {
		if tag.Slug == "" || tag.Name == "" {
			t.Errorf("%s: tag with empty slug or name: %+v", c.Slug, tag)
		}
	}
}

// testCoursePage checks the flagship course as an anonymous visitor sees it:
// sections in order, PUBLIC lesson bodies shown, ENROLLED ones withheld.
func testCoursePage(ctx context.Context, t *testing.T, client graphql.Client) {
	course := flagship(ctx, t, client)
	var titles []string
	for _, s := range course.Sections {
		titles = append(titles, s.Title)
	}
	if !slices.Equal(titles, flagshipSections) {
		t.Errorf("sections = %q, want %q", titles, flagshipSections)
	}

	public, enrolled := 0, 0
	for _, s := range course.Sections {
		if len(s.Lessons) == 0 {
			t.Errorf("section %q has no lessons", s.Title)
		}
		for _, l := range s.Lessons {
			if l.Id == "" || l.Slug == "" || l.Title == "" || l.ReadingMinutes <= 0 {
				t.Errorf("%s: incomplete lesson %+v", s.Title, l)
			}
			switch l.Access {
			case LessonAccessPublic:
				public++
				if l.Body == nil || *l.Body == "" {
					t.Errorf("%s: PUBLIC lesson has no body", l.Slug)
				}
				if l.LockedReason != nil {
					t.Errorf("%s: PUBLIC lesson has lockedReason %s", l.Slug, *l.LockedReason)
				}
			case LessonAccessEnrolled:
				enrolled++
				if l.Body != nil {
					t.Errorf("%s: ENROLLED lesson shows its body to an anonymous caller", l.Slug)
				}
				if l.LockedReason == nil || *l.LockedReason != LessonLockReasonEnrollmentRequired {
					t.Errorf("%s: lockedReason = %v, want %s", l.Slug, l.LockedReason, LessonLockReasonEnrollmentRequired)
				}
			default:
				t.Errorf("%s: access %q", l.Slug, l.Access)
			}
		}
	}
	if public == 0 || enrolled == 0 {
		t.Errorf("%d PUBLIC and %d ENROLLED lessons; the flagship course has both", public, enrolled)
	}

	if len(course.Faq) == 0 {
		t.Error("the flagship course has no FAQ")
	}
	for _, f := range course.Faq {
		if f.Question == "" || f.Answer == "" {
			t.Errorf("incomplete FAQ entry %+v", f)
		}
	}

	// The flagship course has more than three reviews; reviews(first: 3).
	if n := len(course.Reviews.Edges); n != 3 {
		t.Errorf("%d reviews, want 3", n)
	}
	for _, e := range course.Reviews.Edges {
		if e == nil || e.Node == nil {
			t.Error("null review edge or node")
			continue
		}
		r := e.Node
		if r.Rating < 1 || r.Rating > 5 || r.Body == "" || r.Author.DisplayName == "" {
			t.Errorf("incomplete review %+v", r)
		}
	}
}

// testNode looks up the flagship course and one lesson of each access
// level by the IDs the course page returned.
func testNode(ctx context.Context, t *testing.T, client graphql.Client) {
	course := flagship(ctx, t, client)

	resp, err := NodeByID(ctx, client, course.Id)
	if err != nil {
		t.Fatalf("node(course id): %v", err)
	}
	c, ok := resp.Node.(*NodeByIDNodeCourse)
	if !ok {
		t.Fatalf("node(course id) = %T, want a Course", resp.Node)
	}
	if c.Id != course.Id || c.Slug != course.Slug || c.Title != course.Title {
		t.Errorf("node(course id) = %s %q %q, want %s %q %q", c.Id, c.Slug, c.Title, course.Id, course.Slug, course.Title)
	}

	for _, access := range AllLessonAccess {
		section, lesson := firstLesson(course, access)
		if lesson == nil {
			t.Errorf("the flagship course has no %s lesson", access)
			continue
		}
		resp, err := NodeByID(ctx, client, lesson.Id)
		if err != nil {
			t.Errorf("node(%s lesson id): %v", access, err)
			continue
		}
		got, ok := resp.Node.(*NodeByIDNodeLesson)
		if !ok {
			t.Errorf("node(%s lesson id) = %T, want a Lesson", access, resp.Node)
			continue
		}
		if got.Typename == nil || *got.Typename != "Lesson" {
			t.Errorf("__typename = %v, want Lesson", got.Typename)
		}
		if got.Id != lesson.Id || got.Slug != lesson.Slug || got.Title != lesson.Title ||
			got.ReadingMinutes != lesson.ReadingMinutes || got.Access != lesson.Access {
			t.Errorf("node(%s) = %+v, the course page showed %+v", lesson.Id, got, lesson)
		}
		if !equalPtr(got.Body, lesson.Body) || !equalPtr(got.LockedReason, lesson.LockedReason) {
			t.Errorf("%s: node shows body %v lockedReason %v, the course page body %v lockedReason %v",
				lesson.Slug, got.Body != nil, got.LockedReason, lesson.Body != nil, lesson.LockedReason)
		}
		if got.Course.Slug != flagshipSlug || got.Section.Title != section {
			t.Errorf("%s: in course %q section %q, want %q %q", lesson.Slug, got.Course.Slug, got.Section.Title, flagshipSlug, section)
		}
	}
}

// testMalformedID checks that an ID that is not a global ID is the
// caller's error, with the documented code.
func testMalformedID(ctx context.Context, t *testing.T, client graphql.Client) {
	resp, err := NodeByID(ctx, client, "not-a-global-id")
	var errs gqlerror.List
	if !errors.As(err, &errs) {
		t.Fatalf("node(malformed id): error %v (%T), want a GraphQL error list", err, err)
	}
	if len(errs) == 0 {
		t.Fatal("node(malformed id): empty error list")
	}
	if code := errs[0].Extensions["code"]; code != "BAD_USER_INPUT" {
		t.Errorf("extensions.code = %v, want BAD_USER_INPUT (error: %v)", code, errs[0])
	}
	if resp != nil && resp.Node != nil {
		t.Errorf("node(malformed id) = %+v, want null", resp.Node)
	}
}

// testTags checks the tag list against the tags the flagship course carries.
func testTags(ctx context.Context, t *testing.T, client graphql.Client) {
	resp, err := Tags(ctx, client, 100, nil)
	if err != nil {
		t.Fatalf("tags: %v", err)
	}
	conn := resp.Tags
	if conn.PageInfo.HasNextPage {
		t.Fatalf("tags(first: 100): hasNextPage; the demo dataset has fewer tags (totalCount %d)", conn.TotalCount)
	}
	if conn.TotalCount == 0 || conn.TotalCount != len(conn.Edges) {
		t.Errorf("totalCount = %d with %d tags returned; want equal and non-zero", conn.TotalCount, len(conn.Edges))
	}
	names := map[string]string{} // slug -> name
	for _, e := range conn.Edges {
		if e == nil || e.Node == nil {
			t.Fatal("null tag edge or node")
		}
		if e.Node.Id == "" || e.Node.Slug == "" || e.Node.Name == "" {
			t.Errorf("incomplete tag %+v", e.Node)
		}
		if _, dup := names[e.Node.Slug]; dup {
			t.Errorf("tag %q listed twice", e.Node.Slug)
		}
		names[e.Node.Slug] = e.Node.Name
	}

	where := &CourseWhereInput{Search: ptr("First Principles")}
	courses, err := CataloguePage(ctx, client, 100, nil, where, nil)
	if err != nil {
		t.Fatalf("courses(where: {search}): %v", err)
	}
	var flagshipTags int
	for _, e := range courses.Courses.Edges {
		if e == nil || e.Node == nil || e.Node.Slug != flagshipSlug {
			continue
		}
		for _, tag := range e.Node.Tags {
			flagshipTags++
			if name, ok := names[tag.Slug]; !ok || name != tag.Name {
				t.Errorf("the flagship course's tag %s %q is listed as %q (listed: %t)", tag.Slug, tag.Name, name, ok)
			}
		}
	}
	if flagshipTags == 0 {
		t.Errorf("searching %q found no tagged flagship course", *where.Search)
	}
}

// flagship fetches the flagship course page.
func flagship(ctx context.Context, t *testing.T, client graphql.Client) *CoursePageCourse {
	t.Helper()
	resp, err := CoursePage(ctx, client, flagshipSlug)
	if err != nil {
		t.Fatalf("course(%q): %v", flagshipSlug, err)
	}
	if resp.Course == nil {
		t.Fatalf("course(%q) is null", flagshipSlug)
	}
	return resp.Course
}

// firstLesson returns the first lesson with the access level and its
// section's title.
func firstLesson(c *CoursePageCourse, access LessonAccess) (string, *CoursePageCourseSectionsSectionLessonsLesson) {
	for _, s := range c.Sections {
		for i := range s.Lessons {
			if s.Lessons[i].Access == access {
				return s.Title, &s.Lessons[i]
			}
		}
	}
	return "", nil
}

func equalPtr[T comparable](a, b *T) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func ptr[T any](v T) *T { return &v }

// A server is a running lectern process.
type server struct {
	URL    string // http://host:port
	cmd    *exec.Cmd
	output *testenv.Buffer // stdout and stderr
	exited chan struct{}   // closed when the process has exited
	err    error           // the process's exit status; read after exited
}

// startServer starts `lectern` with no arguments, as a user would, with a
// fresh DATA_DIR, a free HTTP_ADDR and env (NAME=value) on top of the
// defaults, and waits until it is ready. The process is killed when the
// test ends if it still runs.
func startServer(t *testing.T, env ...string) *server {
	t.Helper()
	return startServerIn(t, t.TempDir(), env...)
}

// startServerIn is startServer with DATA_DIR dir, for a server that
// restarts on the data an earlier one left.
func startServerIn(t *testing.T, dir string, env ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(lecternBinary(t))
	cmd.Dir = dir
	cmd.Env = lecternEnv(append([]string{config.VarDataDir + "=" + dir, config.VarHTTPAddr + "=" + addr}, env...))
	s := &server{URL: "http://" + addr, cmd: cmd, output: &testenv.Buffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.output, s.output
	if err := cmd.Start(); err != nil {
		t.Fatalf("start lectern: %v", err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
	})
	s.waitReady(t)
	return s
}

// waitReady waits for GET /readyz, failing with the server's output if it
// exits first.
func (s *server) waitReady(t *testing.T) {
	t.Helper()
	testenv.WaitReady(t, s.URL, func() string {
		select {
		case <-s.exited:
			return fmt.Sprintf("lectern exited (%v); its output:\n%s", s.err, s.output)
		default:
			return ""
		}
	})
}

// stop sends SIGINT and checks that the server shuts down and exits 0.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("interrupt lectern: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(stopWait):
		_ = s.cmd.Process.Kill()
		<-s.exited
		t.Fatalf("lectern still running %s after SIGINT; killed. Its output:\n%s", stopWait, s.output)
	}
	if s.err != nil {
		t.Fatalf("lectern exited with %v after SIGINT, want exit status 0; its output:\n%s", s.err, s.output)
	}
}

// runLectern runs one lectern command to completion and returns its output.
func runLectern(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), commandWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, lecternBinary(t), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = lecternEnv(env)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lectern %s: %v; its output:\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// lecternEnv is the test process's environment without any Lectern
// setting, so everything not in set takes its default, plus set.
func lecternEnv(set []string) []string {
	settings := []string{
		config.VarAppEnv, config.VarHTTPAddr, config.VarDatabaseURL, config.VarDataDir,
		config.VarLogLevel, config.VarLogFormat, config.VarAllowSQLite, config.VarPlaygroundAssetsDir,
		config.VarShutdownTimeout, config.VarSeedDemoData, config.VarRequestTimeout, config.VarMaxBodyBytes,
		config.VarCacheTTL, config.VarCacheMaxBytes, config.VarRedisURL, config.VarRedisTimeout, config.VarCacheNamespace,
		config.VarPublicBaseURL, config.VarMailFrom, config.VarSMTPURL, config.VarCORSOrigins, config.VarSessionIdleTimeout,
		config.VarSessionMaxAge, config.VarTrustedProxies, config.VarGraphQLIntrospection, config.VarTOTPEncryptionKeys,
		config.VarDebugAddr, config.VarGOGC, config.VarGOMEMLIMIT, config.VarStorageURL,
		config.VarStorageSigningKey, config.VarAPIBaseURL, config.VarAssetsPublicBaseURL, config.VarUploadDailyBytes,
		config.VarJobRescueAfter,
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(settings, name) {
			env = append(env, kv)
		}
	}
	return append(env, set...)
}

var build struct {
	once sync.Once
	path string
	out  []byte
	err  error
}

// lecternBinary builds the lectern command once per test run.
func lecternBinary(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		build.path = filepath.Join(binDir, "lectern")
		build.out, build.err = exec.Command("go", "build", "-o", build.path, "lectern").CombinedOutput()
	})
	if build.err != nil {
		t.Fatalf("go build lectern: %v\n%s", build.err, build.out)
	}
	return build.path
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	return addr
}
