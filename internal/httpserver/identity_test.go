package httpserver_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/apitoken"
	"lectern/ent/session"
	"lectern/ent/user"
	"lectern/internal/auth/password"
	"lectern/internal/auth/totp"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/gid"
	"lectern/internal/httpserver"
	"lectern/internal/obs"
	"lectern/internal/seed"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// The dev configuration testenv builds the app with.
const (
	devOrigin     = "http://127.0.0.1:8080"
	devCookieName = "lectern_session"
	crossOrigin   = "https://evil.example"
)

var (
	// sessionCookieLine is the whole Set-Cookie line of a new dev session:
	// no Domain (host-only), no Secure (plain-HTTP dev), a Max-Age.
	sessionCookieLine = regexp.MustCompile(`^lectern_session=(lct_ses_[a-z2-7]{52}); Path=/; Expires=[^;]+; Max-Age=(\d+); HttpOnly; SameSite=Lax$`)
	apiTokenSecret    = regexp.MustCompile(`^lct_pat_[a-z2-7]{52}$`)
)

// identityApp is the real app over the seeded demo data, whose demo
// accounts have their known passwords.
type identityApp struct {
	client *testenv.Client
}

func newIdentityApp(t *testing.T, db *database.DB, opts ...httpserver.AppOption) *identityApp {
	t.Helper()
	seedWithPasswords(t, db)
	return &identityApp{client: testenv.NewClient(t, db, opts...)}
}

func seedWithPasswords(t *testing.T, db *database.DB) {
	t.Helper()
	testenv.Seeded(t, db)
	hasher, err := password.NewHasher(password.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.SetDemoPasswords(context.Background(), db.Ent, hasher.Hash); err != nil {
		t.Fatal(err)
	}
}

// browser returns a page on origin with no cookie yet.
func (a *identityApp) browser(origin string) *browser {
	return &browser{send: a.send, origin: origin}
}

// bearer returns a client that is no browser: no Origin, only the token
// (none for an anonymous caller).
func (a *identityApp) bearer(token string) *browser {
	return &browser{send: a.send, token: token}
}

func (a *identityApp) send(t *testing.T, req *http.Request) testenv.Response {
	t.Helper()
	return a.client.For(t).Do(req)
}

// browser posts GraphQL the way a browser page does: JSON with an Origin
// header, carrying the session cookie and keeping whatever Set-Cookie says
// about it. With token set it sends `Authorization: Bearer` instead.
type browser struct {
	send   func(*testing.T, *http.Request) testenv.Response
	origin string
	cookie string
	token  string
}

func (b *browser) post(t *testing.T, query string, vars map[string]any) testenv.Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return b.do(t, req)
}

// do sends req with the browser's origin and credential.
func (b *browser) do(t *testing.T, req *http.Request) testenv.Response {
	t.Helper()
	if b.origin != "" {
		req.Header.Set("Origin", b.origin)
	}
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: devCookieName, Value: b.cookie})
	}
	if b.token != "" {
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	r := b.send(t, req)
	if _, c := sessionSetCookie(t, r.Header); c != nil {
		b.cookie = c.Value
		if c.MaxAge < 0 {
			b.cookie = ""
		}
	}
	return r
}

// sessionSetCookie returns the response's one Set-Cookie line for the
// session cookie, raw and parsed, or nil when there is none.
func sessionSetCookie(t *testing.T, h http.Header) (string, *http.Cookie) {
	t.Helper()
	var lines []string
	for _, l := range h.Values("Set-Cookie") {
		if strings.HasPrefix(l, devCookieName+"=") {
			lines = append(lines, l)
		}
	}
	switch len(lines) {
	case 0:
		return "", nil
	case 1:
	default:
		t.Fatalf("several Set-Cookie lines for the session: %q", lines)
	}
	c, err := http.ParseSetCookie(lines[0])
	if err != nil {
		t.Fatalf("Set-Cookie %q: %v", lines[0], err)
	}
	return lines[0], c
}

// requireCleared fails unless the response tells the browser to delete
// the session cookie.
func requireCleared(t *testing.T, r testenv.Response) {
	t.Helper()
	raw, c := sessionSetCookie(t, r.Header)
	if c == nil || c.Value != "" || c.MaxAge >= 0 || !c.HttpOnly || c.Path != "/" {
		t.Fatalf("Set-Cookie = %q, want the session cookie cleared (empty, Max-Age=0, Path=/, HttpOnly)", raw)
	}
}

type userError struct {
	Code    string
	Field   []string
	Message string
}

type logInAnswer struct {
	LogIn struct {
		Viewer *struct {
			User struct {
				Email         *string
				Role          *string
				EmailVerified *bool
			}
		}
		Token       *string
		MfaRequired bool
		UserErrors  []userError
	}
}

const logInDoc = `mutation($email: String!, $password: String!, $transport: SessionTransport) {
  logIn(input: {email: $email, password: $password, transport: $transport}) {
    viewer { user { email role emailVerified } }
    token mfaRequired userErrors { code field message }
  }
}`

// logIn signs a in with transport ("" for the default, COOKIE) and
// returns the decoded answer.
func (b *browser) logIn(t *testing.T, a seed.DemoAccount, transport string) (logInAnswer, testenv.Response) {
	t.Helper()
	vars := map[string]any{"email": a.Email, "password": a.Password}
	if transport != "" {
		vars["transport"] = transport
	}
	r := b.post(t, logInDoc, vars)
	var out logInAnswer
	r.Decode(t, &out)
	if out.LogIn.Viewer == nil || len(out.LogIn.UserErrors) > 0 {
		t.Fatalf("logIn as %s: %s", a.Email, r.Data)
	}
	return out, r
}

// logInToken signs a in with transport TOKEN and returns the session token.
func (b *browser) logInToken(t *testing.T, a seed.DemoAccount) string {
	t.Helper()
	out, _ := b.logIn(t, a, "TOKEN")
	if out.LogIn.Token == nil {
		t.Fatalf("logIn TOKEN as %s returned no token", a.Email)
	}
	return *out.LogIn.Token
}

// viewerEmail returns the email of the signed-in caller, or "" when the
// request ran anonymously; any error fails the test.
func (b *browser) viewerEmail(t *testing.T) string {
	t.Helper()
	r := b.post(t, `{ viewer { user { email } } }`, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("viewer: status %d, errors %+v", r.Status, r.Errors)
	}
	var out struct {
		Viewer *struct{ User struct{ Email string } }
	}
	r.Decode(t, &out)
	if out.Viewer == nil {
		return ""
	}
	return out.Viewer.User.Email
}

type apiTokenNode struct {
	ID         string
	Name       string
	Scopes     []string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
}

type createTokenAnswer struct {
	CreateAPIToken struct {
		Token      *string
		APIToken   *apiTokenNode `json:"apiToken"`
		UserErrors []userError
	} `json:"createApiToken"`
}

const createTokenDoc = `mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) {
    token apiToken { id name scopes createdAt expiresAt lastUsedAt }
    userErrors { code field message }
  }
}`

func (b *browser) createToken(t *testing.T, input map[string]any) (createTokenAnswer, testenv.Response) {
	t.Helper()
	r := b.post(t, createTokenDoc, map[string]any{"input": input})
	var out createTokenAnswer
	r.Decode(t, &out)
	return out, r
}

// mustCreateToken creates a token and returns its secret and global ID.
func (b *browser) mustCreateToken(t *testing.T, name string, scopes ...string) (secret, id string) {
	t.Helper()
	out, r := b.createToken(t, map[string]any{"name": name, "scopes": scopes})
	if out.CreateAPIToken.Token == nil || out.CreateAPIToken.APIToken == nil {
		t.Fatalf("createApiToken %s: %s", name, r.Data)
	}
	return *out.CreateAPIToken.Token, out.CreateAPIToken.APIToken.ID
}

// requireRefused checks a request refused before execution: status, one
// error with code and the request ID of the response header, and no data.
func requireRefused(t *testing.T, r testenv.Response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; errors %+v", r.Status, status, r.Errors)
	}
	if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != code {
		t.Fatalf("errors = %+v, want one %s", r.Errors, code)
	}
	if id := r.Header.Get(obs.HeaderRequestID); id == "" || r.Errors[0].Extensions.RequestID != id {
		t.Errorf("extensions.requestId = %q, X-Request-ID = %q; want them equal and set", r.Errors[0].Extensions.RequestID, id)
	}
	if len(r.Data) != 0 && string(r.Data) != "null" {
		t.Errorf("a refused request answered data %s", r.Data)
	}
}

// requireGraphQLError checks an executed request whose root field failed
// with code.
func requireGraphQLError(t *testing.T, r testenv.Response, code string) {
	t.Helper()
	if r.Status != http.StatusOK || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != code {
		t.Fatalf("status %d, errors %+v; want one %s", r.Status, r.Errors, code)
	}
	if string(r.Data) != "null" {
		t.Errorf("the refused mutation answered data %s", r.Data)
	}
}

func demoAccountWithRole(t *testing.T, role string) seed.DemoAccount {
	t.Helper()
	for _, a := range seed.DemoAccounts {
		if a.Role == role {
			return a
		}
	}
	t.Fatalf("no demo account with role %s", role)
	return seed.DemoAccount{}
}

func systemCtx() context.Context { return viewer.SystemContext(context.Background()) }

func accountID(t *testing.T, db *database.DB, email string) uuid.UUID {
	t.Helper()
	u, err := db.Ent.User.Query().Where(user.Email(email)).Only(systemCtx())
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u.ID
}

func sessionsOf(t *testing.T, db *database.DB, email string) []*ent.Session {
	t.Helper()
	all, err := db.Ent.Session.Query().Where(session.UserID(accountID(t, db, email))).All(systemCtx())
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// sessionByToken returns the session stored for a plain token, or nil.
func sessionByToken(t *testing.T, db *database.DB, plain string) *ent.Session {
	t.Helper()
	sum := sha256.Sum256([]byte(plain))
	s, err := db.Ent.Session.Query().Where(session.TokenHash(sum[:])).Only(systemCtx())
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sessionExists(t *testing.T, db *database.DB, id uuid.UUID) bool {
	t.Helper()
	ok, err := db.Ent.Session.Query().Where(session.ID(id)).Exist(systemCtx())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func rowCount(t *testing.T, q interface {
	Count(context.Context) (int, error)
}) int {
	t.Helper()
	n, err := q.Count(systemCtx())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// requireNotStored fails when any column of any table holds plain: the
// database keeps hashes of secrets, so a dump or a backup leaks none.
func requireNotStored(t *testing.T, db *database.DB, plain string) {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if db.Dialect == database.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	tables := queryStrings(t, db, q)
	if !slices.Contains(tables, "sessions") || !slices.Contains(tables, "api_tokens") {
		t.Fatalf("tables %v lack sessions or api_tokens", tables)
	}
	for _, table := range tables {
		for _, v := range queryStrings(t, db, `SELECT * FROM "`+table+`"`) {
			if strings.Contains(v, plain) {
				t.Errorf("table %s holds the plain secret", table)
			}
		}
	}
}

// queryStrings returns every value of every row q answers, as text.
func queryStrings(t *testing.T, db *database.DB, q string) []string {
	t.Helper()
	rows, err := db.SQL.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				out = append(out, string(b))
			} else {
				out = append(out, fmt.Sprint(v))
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestIdentityLogInWithCookie(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		app := newIdentityApp(t, db)
		learner := demoAccountWithRole(t, "LEARNER")
		b := app.browser(devOrigin)
		signedInAt := time.Now()
		out, r := b.logIn(t, learner, "")

		raw, _ := sessionSetCookie(t, r.Header)
		m := sessionCookieLine.FindStringSubmatch(raw)
		if m == nil {
			t.Fatalf("Set-Cookie = %q, want %s", raw, sessionCookieLine)
		}
		token := m[1]
		// 12 hours: Max-Age counts from when the header is written, and a
		// busy machine may take a moment after creating the session.
		if age, _ := strconv.Atoi(m[2]); age < 43200-10 || age > 43200 {
			t.Errorf("Max-Age = %d, want 43200 (the 12-hour session)", age)
		}
		if out.LogIn.Token != nil {
			t.Errorf("logIn COOKIE put the token in the payload too: %q", *out.LogIn.Token)
		}
		if strings.Contains(string(r.Data), token) {
			t.Errorf("the response body holds the session token: %s", r.Data)
		}
		u := out.LogIn.Viewer.User
		if u.Email == nil || *u.Email != learner.Email || u.Role == nil || *u.Role != "LEARNER" || u.EmailVerified == nil || !*u.EmailVerified {
			t.Errorf("logIn viewer = %s, want the learner's own email, role and verification", r.Data)
		}
		if out.LogIn.MfaRequired {
			t.Error("mfaRequired for an account without two-factor sign-in")
		}

		t.Run("StoresOnlyTheHash", func(t *testing.T) {
			rows := sessionsOf(t, db, learner.Email)
			sum := sha256.Sum256([]byte(token))
			if len(rows) != 1 || !bytes.Equal(rows[0].TokenHash, sum[:]) || rows[0].Transport != session.TransportCOOKIE {
				t.Fatalf("sessions = %+v, want one COOKIE session stored by the token's SHA-256", rows)
			}
			if got := rows[0].ExpiresAt.Sub(rows[0].CreatedAt); got != 12*time.Hour {
				t.Errorf("session lifetime = %v, want 12h", got)
			}
			if d := rows[0].ExpiresAt.Sub(signedInAt.Add(12 * time.Hour)); d < -time.Minute || d > time.Minute {
				t.Errorf("session expires at %v, want about 12h after sign-in", rows[0].ExpiresAt)
			}
			requireNotStored(t, db, token)
			if strings.Contains(app.client.Logs.String(), token) {
				t.Error("the logs hold the session token")
			}
		})

		t.Run("PayloadMarksTheNewSessionCurrent", func(t *testing.T) {
			other := app.browser(devOrigin)
			r := other.post(t, `mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p}) { viewer { sessions { id current } } } }`,
				map[string]any{"e": learner.Email, "p": learner.Password})
			var out struct {
				LogIn struct {
					Viewer struct {
						Sessions []struct {
							ID      string
							Current bool
						}
					}
				}
			}
			r.Decode(t, &out)
			want := sessionGID(t, db, other.cookie)
			var current []string
			for _, s := range out.LogIn.Viewer.Sessions {
				if s.Current {
					current = append(current, s.ID)
				}
			}
			if len(out.LogIn.Viewer.Sessions) != 2 || !slices.Equal(current, []string{want}) {
				t.Fatalf("logIn viewer.sessions = %s, want 2 with only the new one (%s) current", r.Data, want)
			}
			other.post(t, logOutDoc, nil)
		})

		t.Run("CookieSignsIn", func(t *testing.T) {
			if got := b.viewerEmail(t); got != learner.Email {
				t.Fatalf("viewer with the cookie = %q, want %s", got, learner.Email)
			}
		})

		t.Run("SecondLogInReplacesThePresentedSession", func(t *testing.T) {
			old := sessionByToken(t, db, token)
			_, r := b.logIn(t, learner, "")
			raw, _ := sessionSetCookie(t, r.Header)
			m := sessionCookieLine.FindStringSubmatch(raw)
			if m == nil || m[1] == token {
				t.Fatalf("second logIn Set-Cookie = %q, want a new token", raw)
			}
			if sessionExists(t, db, old.ID) {
				t.Error("the session whose cookie was sent with the second logIn still exists")
			}
			if n := len(sessionsOf(t, db, learner.Email)); n != 1 {
				t.Errorf("the learner has %d sessions, want 1", n)
			}
			stale := app.browser(devOrigin)
			stale.cookie = token
			if got := stale.viewerEmail(t); got != "" {
				t.Errorf("the replaced cookie still signs in as %s", got)
			}
		})

		t.Run("LogInWithoutCookieKeepsOtherSessions", func(t *testing.T) {
			app.browser(devOrigin).logIn(t, learner, "")
			if n := len(sessionsOf(t, db, learner.Email)); n != 2 {
				t.Errorf("after a sign-in from a second browser the learner has %d sessions, want 2", n)
			}
			if got := b.viewerEmail(t); got != learner.Email {
				t.Errorf("the first browser's session ended when a second browser signed in")
			}
		})
	})
}

func TestIdentityLogInWithToken(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		app := newIdentityApp(t, db)
		learner := demoAccountWithRole(t, "LEARNER")
		out, r := app.bearer("").logIn(t, learner, "TOKEN")
		if out.LogIn.Token == nil || !strings.HasPrefix(*out.LogIn.Token, "lct_ses_") {
			t.Fatalf("logIn TOKEN payload = %s, want a session token", r.Data)
		}
		token := *out.LogIn.Token
		if lines := r.Header.Values("Set-Cookie"); len(lines) != 0 {
			t.Errorf("logIn TOKEN set cookies: %q", lines)
		}
		if s := sessionByToken(t, db, token); s == nil || s.Transport != session.TransportTOKEN {
			t.Fatalf("stored session = %+v, want a TOKEN session found by the token's hash", s)
		}
		requireNotStored(t, db, token)

		t.Run("WorksAsBearer", func(t *testing.T) {
			if got := app.bearer(token).viewerEmail(t); got != learner.Email {
				t.Fatalf("viewer with the bearer token = %q, want %s", got, learner.Email)
			}
		})

		t.Run("RefusedAsCookie", func(t *testing.T) {
			b := app.browser(devOrigin)
			b.cookie = token
			r := b.post(t, `{ viewer { user { email } } }`, nil)
			if r.Status != http.StatusOK || string(r.Data) != `{"viewer":null}` {
				t.Fatalf("a TOKEN session sent as the cookie: status %d, data %s; want an anonymous answer", r.Status, r.Data)
			}
			requireCleared(t, r)
			if got := app.bearer(token).viewerEmail(t); got != learner.Email {
				t.Error("presenting the token as a cookie ended its session")
			}
		})

		t.Run("CookieSessionRefusedAsBearer", func(t *testing.T) {
			b := app.browser(devOrigin)
			b.logIn(t, learner, "")
			r := app.bearer(b.cookie).post(t, `{ viewer { user { email } } }`, nil)
			requireRefused(t, r, http.StatusUnauthorized, "UNAUTHENTICATED")
			if got := r.Header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate = %q, want Bearer error=\"invalid_token\"", got)
			}
			if got := b.viewerEmail(t); got != learner.Email {
				t.Error("presenting the cookie as a bearer token ended its session")
			}
		})
	})
}

const logOutDoc = `mutation { logOut { sessionId userErrors { code field } } }`

type logOutAnswer struct {
	LogOut struct {
		SessionID  *string `json:"sessionId"`
		UserErrors []userError
	}
}

func TestIdentityLogOut(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		app := newIdentityApp(t, db)
		learner := demoAccountWithRole(t, "LEARNER")

		t.Run("Cookie", func(t *testing.T) {
			b := app.browser(devOrigin)
			b.logIn(t, learner, "")
			cookie := b.cookie
			sess := sessionByToken(t, db, cookie)
			r := b.post(t, logOutDoc, nil)
			var out logOutAnswer
			r.Decode(t, &out)
			if want := gid.New("Session", sess.ID).String(); out.LogOut.SessionID == nil || *out.LogOut.SessionID != want || len(out.LogOut.UserErrors) != 0 {
				t.Fatalf("logOut = %s, want sessionId %s", r.Data, want)
			}
			requireCleared(t, r)
			if sessionExists(t, db, sess.ID) {
				t.Fatal("the session row survived logOut")
			}
			stale := app.browser(devOrigin)
			stale.cookie = cookie
			r = stale.post(t, `{ viewer { user { email } } }`, nil)
			if r.Status != http.StatusOK || string(r.Data) != `{"viewer":null}` || len(r.Errors) != 0 {
				t.Fatalf("the signed-out cookie: status %d, data %s, errors %+v; want an anonymous answer", r.Status, r.Data, r.Errors)
			}
			requireCleared(t, r)

			// Signing in again over the stale cookie: the clearing and the new
			// cookie must not both reach the browser.
			stale.cookie = cookie
			_, r = stale.logIn(t, learner, "")
			raw, _ := sessionSetCookie(t, r.Header)
			if m := sessionCookieLine.FindStringSubmatch(raw); m == nil || m[1] == cookie {
				t.Fatalf("logIn over a signed-out cookie: Set-Cookie %q, want one new session cookie", raw)
			}
			if got := stale.viewerEmail(t); got != learner.Email {
				t.Fatalf("after signing in again the viewer is %q", got)
			}
		})

		t.Run("Token", func(t *testing.T) {
			token := app.bearer("").logInToken(t, learner)
			r := app.bearer(token).post(t, logOutDoc, nil)
			var out logOutAnswer
			r.Decode(t, &out)
			if out.LogOut.SessionID == nil {
				t.Fatalf("logOut with a TOKEN session = %s", r.Data)
			}
			if lines := r.Header.Values("Set-Cookie"); len(lines) != 0 {
				t.Errorf("logOut of a TOKEN session set cookies: %q", lines)
			}
			requireRefused(t, app.bearer(token).post(t, `{ viewer { user { email } } }`, nil), http.StatusUnauthorized, "UNAUTHENTICATED")
		})

		t.Run("ReadOnlyAPITokenForbidden", func(t *testing.T) {
			b := app.browser(devOrigin)
			b.logIn(t, learner, "")
			secret, _ := b.mustCreateToken(t, "read only", "READ")
			before := rowCount(t, db.Ent.Session.Query())
			requireGraphQLError(t, app.bearer(secret).post(t, logOutDoc, nil), "FORBIDDEN")
			if got := rowCount(t, db.Ent.Session.Query()); got != before {
				t.Errorf("sessions after the refused logOut: %d, want %d", got, before)
			}
			if got := app.bearer(secret).viewerEmail(t); got != learner.Email {
				t.Error("the API token stopped working after its refused logOut")
			}
			if got := b.viewerEmail(t); got != learner.Email {
				t.Error("the browser session ended after an API token's refused logOut")
			}
		})
	})
}

func TestIdentityCSRF(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		clock := testenv.NewWallClock()
		app := newIdentityApp(t, db, httpserver.WithClock(clock.Now))
		learner := demoAccountWithRole(t, "LEARNER")
		b := app.browser(devOrigin)
		b.logIn(t, learner, "")
		app.bearer("").logInToken(t, learner)
		sess := sessionByToken(t, db, b.cookie)
		// A request that authenticated now would move last_seen_at.
		clock.Advance(5 * time.Minute)

		const createToken = `{"query":"mutation { createApiToken(input: {name: \"csrf\", scopes: [READ, WRITE]}) { token } }"}`
		const revokeOthers = `{"query":"mutation { revokeOtherSessions { revokedCount } }"}`
		post := func(body string) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			return r
		}
		tests := []struct {
			name   string
			origin string
			req    *http.Request
			status int
			code   string
		}{
			{"NoOrigin", "", post(createToken), http.StatusForbidden, "FORBIDDEN"},
			{"ForeignOrigin", crossOrigin, post(revokeOthers), http.StatusForbidden, "FORBIDDEN"},
			{"ForeignOriginCreateToken", crossOrigin, post(createToken), http.StatusForbidden, "FORBIDDEN"},
			{"OpaqueOrigin", "null", post(revokeOthers), http.StatusForbidden, "FORBIDDEN"},
			{"LookalikeOrigin", "http://127.0.0.1:8080.evil.example", post(revokeOthers), http.StatusForbidden, "FORBIDDEN"},
			{"OtherPortOfOwnHost", "http://127.0.0.1:9090", post(createToken), http.StatusForbidden, "FORBIDDEN"},
			{"GetRequest", devOrigin, httptest.NewRequest(http.MethodGet,
				"/v1/graphql?query=mutation%7BrevokeOtherSessions%7BrevokedCount%7D%7D", nil), http.StatusMethodNotAllowed, "BAD_USER_INPUT"},
			{"TextPlainBody", devOrigin, func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader(revokeOthers))
				r.Header.Set("Content-Type", "text/plain")
				return r
			}(), http.StatusUnsupportedMediaType, "BAD_USER_INPUT"},
			{"FormBody", devOrigin, func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader("query=mutation+%7BrevokeOtherSessions%7BrevokedCount%7D%7D"))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			}(), http.StatusUnsupportedMediaType, "BAD_USER_INPUT"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				attacker := app.browser(tt.origin)
				attacker.cookie = b.cookie
				requireRefused(t, attacker.do(t, tt.req), tt.status, tt.code)
				if n := rowCount(t, db.Ent.APIToken.Query()); n != 0 {
					t.Errorf("API tokens after the refused request: %d, want 0", n)
				}
				if n := len(sessionsOf(t, db, learner.Email)); n != 2 {
					t.Errorf("sessions after the refused request: %d, want 2", n)
				}
				now := sessionByToken(t, db, b.cookie)
				if now == nil || !now.LastSeenAt.Equal(sess.LastSeenAt) {
					t.Errorf("the refused request touched the session (last seen %v, was %v)", now, sess.LastSeenAt)
				}
			})
		}

		t.Run("OwnOriginExecutes", func(t *testing.T) {
			r := b.post(t, `mutation { revokeOtherSessions { revokedCount } }`, nil)
			var out struct{ RevokeOtherSessions struct{ RevokedCount int } }
			r.Decode(t, &out)
			if out.RevokeOtherSessions.RevokedCount != 1 || len(sessionsOf(t, db, learner.Email)) != 1 {
				t.Fatalf("revokeOtherSessions from the own origin = %s, want 1 ended", r.Data)
			}
		})
	})
}

// corsApp builds the app with CORS_ORIGINS set, the way the server does.
func corsApp(t *testing.T, db *database.DB, allowed string) func(*testing.T, *http.Request) testenv.Response {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		if k == config.VarCORSOrigins {
			return allowed
		}
		return ""
	})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	h, err := httpserver.NewApp(cfg, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("app: %v", err)
	}
	return func(t *testing.T, req *http.Request) testenv.Response {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		raw, _ := io.ReadAll(rec.Body)
		var r testenv.Response
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatalf("response is not JSON (%d): %s", rec.Code, raw)
			}
		}
		r.Status, r.Header = rec.Code, rec.Header()
		return r
	}
}

func TestIdentityCORS(t *testing.T) {
	const appOrigin, otherOrigin = "https://app.example", "https://other.example"
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		seedWithPasswords(t, db)
		send := corsApp(t, db, appOrigin)
		learner := demoAccountWithRole(t, "LEARNER")
		preflight := func(t *testing.T, origin string) testenv.Response {
			r := httptest.NewRequest(http.MethodOptions, "/v1/graphql", nil)
			r.Header.Set("Origin", origin)
			r.Header.Set("Access-Control-Request-Method", "POST")
			r.Header.Set("Access-Control-Request-Headers", "content-type")
			return send(t, r)
		}

		t.Run("PreflightFromAllowedOrigin", func(t *testing.T) {
			r := preflight(t, appOrigin)
			h := r.Header
			if r.Status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != appOrigin ||
				h.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
				!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "content-type") {
				t.Fatalf("preflight: status %d, headers %v; want 204 allowing POST with credentials", r.Status, h)
			}
		})

		t.Run("PreflightFromOtherOrigin", func(t *testing.T) {
			for _, origin := range []string{otherOrigin, devOrigin, "null"} {
				r := preflight(t, origin)
				requireRefused(t, r, http.StatusForbidden, "FORBIDDEN")
				if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
					t.Errorf("a refused preflight from %s carries CORS grants: %v", origin, r.Header)
				}
			}
		})

		page := &browser{send: send, origin: appOrigin}
		_, r := page.logIn(t, learner, "")
		if page.cookie == "" || r.Header.Get("Access-Control-Allow-Origin") != appOrigin || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("logIn from %s: cookie %q, headers %v; want a session readable by the page", appOrigin, page.cookie, r.Header)
		}

		t.Run("CookieRequestFromAllowedOriginExecutes", func(t *testing.T) {
			if got := page.viewerEmail(t); got != learner.Email {
				t.Fatalf("viewer from %s = %q, want %s", appOrigin, got, learner.Email)
			}
			page.mustCreateToken(t, "from the app", "READ")
			if n := rowCount(t, db.Ent.APIToken.Query()); n != 1 {
				t.Fatalf("API tokens after createApiToken from %s: %d, want 1", appOrigin, n)
			}
		})

		t.Run("CookieRequestFromOtherOriginRefused", func(t *testing.T) {
			other := &browser{send: send, origin: otherOrigin, cookie: page.cookie}
			r := other.post(t, `mutation { createApiToken(input: {name: "stolen", scopes: [READ]}) { token } }`, nil)
			requireRefused(t, r, http.StatusForbidden, "FORBIDDEN")
			if r.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("the refusal grants %s CORS access", otherOrigin)
			}
			if n := rowCount(t, db.Ent.APIToken.Query().Where(apitoken.Name("stolen"))); n != 0 {
				t.Error("the cross-origin mutation created a token")
			}
		})

		t.Run("OwnOriginStillExecutes", func(t *testing.T) {
			own := &browser{send: send, origin: devOrigin, cookie: page.cookie}
			if got := own.viewerEmail(t); got != learner.Email {
				t.Fatalf("viewer from the own origin = %q, want %s", got, learner.Email)
			}
		})
	})
}

func TestIdentityTokenInURLRefused(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		app := newIdentityApp(t, db)
		learner := demoAccountWithRole(t, "LEARNER")
		b := app.browser(devOrigin)
		b.logIn(t, learner, "")
		secret, _ := b.mustCreateToken(t, "leaky", "READ")
		session := app.bearer("").logInToken(t, learner)
		for _, target := range []string{
			"/v1/graphql?access_token=" + secret,
			"/v1/graphql?token=" + session,
			"/v1/graphql?ACCESS_TOKEN=" + secret,
			"/v1/graphql?x=1&access%5Ftoken=" + secret,
		} {
			req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"query":"{ viewer { user { email } } }"}`))
			req.Header.Set("Content-Type", "application/json")
			requireRefused(t, app.client.For(t).Do(req), http.StatusBadRequest, "BAD_USER_INPUT")
		}
		tok, err := db.Ent.APIToken.Query().Where(apitoken.Name("leaky")).Only(systemCtx())
		if err != nil {
			t.Fatal(err)
		}
		if tok.LastUsedAt != nil {
			t.Error("a token refused in the URL was still used to authenticate")
		}
		if logs := app.client.Logs.String(); strings.Contains(logs, secret) || strings.Contains(logs, session) {
			t.Error("the logs hold a token sent in the URL")
		}
	})
}

const sessionsDoc = `{ viewer { sessions { id current transport } } }`

type sessionsAnswer struct {
	Viewer struct {
		Sessions []struct {
			ID        string
			Current   bool
			Transport string
		}
	}
}

// currentSessions returns the IDs of the caller's listed sessions and the
// one marked current.
func (b *browser) currentSessions(t *testing.T) (ids []string, current []string) {
	t.Helper()
	var out sessionsAnswer
	b.post(t, sessionsDoc, nil).Decode(t, &out)
	for _, s := range out.Viewer.Sessions {
		ids = append(ids, s.ID)
		if s.Current {
			current = append(current, s.ID)
		}
	}
	return ids, current
}

func sessionGID(t *testing.T, db *database.DB, plain string) string {
	t.Helper()
	s := sessionByToken(t, db, plain)
	if s == nil {
		t.Fatal("no session for the token")
	}
	return gid.New("Session", s.ID).String()
}

const revokeSessionDoc = `mutation($id: ID!) { revokeSession(id: $id) { sessionId userErrors { code field } } }`

func TestIdentitySessions(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		app := newIdentityApp(t, db)
		learner, admin := demoAccountWithRole(t, "LEARNER"), demoAccountWithRole(t, "ADMIN")
		a := app.browser(devOrigin)
		a.logIn(t, learner, "")
		tokenB := app.bearer("").logInToken(t, learner)
		c := app.browser(devOrigin)
		c.logIn(t, learner, "")
		e := app.browser(devOrigin)
		e.logIn(t, learner, "")
		d := app.browser(devOrigin)
		d.logIn(t, admin, "")
		idA, idB, idC, idD := sessionGID(t, db, a.cookie), sessionGID(t, db, tokenB), sessionGID(t, db, c.cookie), sessionGID(t, db, d.cookie)

		t.Run("ListMarksOnlyTheCallersSessionCurrent", func(t *testing.T) {
			ids, current := a.currentSessions(t)
			if len(ids) != 4 || slices.Contains(ids, idD) || !slices.Equal(current, []string{idA}) {
				t.Fatalf("sessions %v, current %v; want the learner's 4 with only %s current", ids, current, idA)
			}
			_, current = app.bearer(tokenB).currentSessions(t)
			if !slices.Equal(current, []string{idB}) {
				t.Fatalf("with the TOKEN session current = %v, want only %s", current, idB)
			}
			ids, current = d.currentSessions(t)
			if !slices.Equal(ids, []string{idD}) || !slices.Equal(current, []string{idD}) {
				t.Fatalf("the admin's sessions %v, current %v; want only their own", ids, current)
			}
		})

		t.Run("RevokeOthersAccountsSessionIsNotFound", func(t *testing.T) {
			notFound := `{"revokeSession":{"sessionId":null,"userErrors":[{"code":"NOT_FOUND","field":["id"]}]}}`
			for _, id := range []string{idD, gid.New("Session", uuid.New()).String(), gid.New("Course", uuid.New()).String()} {
				r := a.post(t, revokeSessionDoc, map[string]any{"id": id})
				if len(r.Errors) != 0 || string(r.Data) != notFound {
					t.Errorf("revokeSession(%s): data %s, errors %+v; want %s", id, r.Data, r.Errors, notFound)
				}
			}
			if got := d.viewerEmail(t); got != admin.Email {
				t.Error("the admin's session ended after another account tried to revoke it")
			}
		})

		t.Run("RevokeOwnSession", func(t *testing.T) {
			r := a.post(t, revokeSessionDoc, map[string]any{"id": idC})
			want := `{"revokeSession":{"sessionId":"` + idC + `","userErrors":[]}}`
			if len(r.Errors) != 0 || string(r.Data) != want {
				t.Fatalf("revokeSession(own other session): %s, want %s", r.Data, want)
			}
			if got := c.viewerEmail(t); got != "" {
				t.Errorf("the revoked session still signs in as %s", got)
			}
			if got := a.viewerEmail(t); got != learner.Email {
				t.Error("revoking another session ended the current one")
			}
		})

		t.Run("OthersSessionsInvisibleThroughNode", func(t *testing.T) {
			const doc = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Session { clientAddr userAgent } } }`
			r := a.post(t, doc, map[string]any{"ids": []string{idA, idD}})
			var out struct{ Nodes []*struct{ ID string } }
			r.Decode(t, &out)
			if len(out.Nodes) != 2 || out.Nodes[0] == nil || out.Nodes[0].ID != idA || out.Nodes[1] != nil {
				t.Fatalf("nodes([own session, admin's session]) = %s, want only the own session", r.Data)
			}
			r = app.browser(devOrigin).post(t, doc, map[string]any{"ids": []string{idA}})
			if r.Status != http.StatusOK || string(r.Data) != `{"nodes":[null]}` {
				t.Fatalf("anonymous nodes([a session]) = %s (errors %+v), want [null]", r.Data, r.Errors)
			}
		})

		t.Run("RevokeOtherSessions", func(t *testing.T) {
			const doc = `mutation { revokeOtherSessions { revokedCount userErrors { code } } }`
			var out struct {
				RevokeOtherSessions struct {
					RevokedCount int
					UserErrors   []userError
				}
			}
			a.post(t, doc, nil).Decode(t, &out)
			if out.RevokeOtherSessions.RevokedCount != 2 || len(out.RevokeOtherSessions.UserErrors) != 0 {
				t.Fatalf("revokeOtherSessions = %+v, want 2 ended (the TOKEN session and the third browser)", out)
			}
			requireRefused(t, app.bearer(tokenB).post(t, `{ viewer { user { email } } }`, nil), http.StatusUnauthorized, "UNAUTHENTICATED")
			if got := e.viewerEmail(t); got != "" {
				t.Errorf("a revoked browser session still signs in as %s", got)
			}
			if got := a.viewerEmail(t); got != learner.Email {
				t.Error("revokeOtherSessions ended the current session")
			}
			if got := d.viewerEmail(t); got != admin.Email {
				t.Error("revokeOtherSessions ended another account's session")
			}
			if n := len(sessionsOf(t, db, learner.Email)); n != 1 {
				t.Errorf("the learner has %d sessions left, want 1", n)
			}
			a.post(t, doc, nil).Decode(t, &out)
			if out.RevokeOtherSessions.RevokedCount != 0 {
				t.Errorf("a second revokeOtherSessions ended %d, want 0", out.RevokeOtherSessions.RevokedCount)
			}
		})

		t.Run("RevokeCurrentSession", func(t *testing.T) {
			r := a.post(t, revokeSessionDoc, map[string]any{"id": idA})
			want := `{"revokeSession":{"sessionId":"` + idA + `","userErrors":[]}}`
			if len(r.Errors) != 0 || string(r.Data) != want {
				t.Fatalf("revokeSession(current) = %s, want %s", r.Data, want)
			}
			requireCleared(t, r)
			if n := len(sessionsOf(t, db, learner.Email)); n != 0 {
				t.Errorf("the learner has %d sessions after revoking the last, want 0", n)
			}
		})
	})
}

func TestIdentitySessionTimeouts(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		clock := testenv.NewWallClock()
		app := newIdentityApp(t, db, httpserver.WithClock(clock.Now))
		learner := demoAccountWithRole(t, "LEARNER")

		t.Run("IdleTimeout", func(t *testing.T) {
			b := app.browser(devOrigin)
			b.logIn(t, learner, "")
			start := clock.Now()
			var out struct {
				Viewer struct {
					Sessions []struct {
						Current       bool
						IdleExpiresAt time.Time
						ExpiresAt     time.Time
					}
				}
			}
			b.post(t, `{ viewer { sessions { current idleExpiresAt expiresAt } } }`, nil).Decode(t, &out)
			if s := out.Viewer.Sessions; len(s) != 1 || !s[0].IdleExpiresAt.Equal(start.Add(30*time.Minute)) || !s[0].ExpiresAt.Equal(start.Add(12*time.Hour)) {
				t.Fatalf("sessions = %+v, want idle expiry %v and expiry %v", s, start.Add(30*time.Minute), start.Add(12*time.Hour))
			}
			clock.Advance(29 * time.Minute)
			if got := b.viewerEmail(t); got != learner.Email {
				t.Fatal("the cookie was refused after 29 minutes idle")
			}
			sess := sessionByToken(t, db, b.cookie)
			clock.Advance(31 * time.Minute)
			r := b.post(t, `{ viewer { user { email } } }`, nil)
			if r.Status != http.StatusOK || string(r.Data) != `{"viewer":null}` {
				t.Fatalf("after 31 minutes idle: status %d, data %s; want an anonymous answer", r.Status, r.Data)
			}
			requireCleared(t, r)
			if sessionExists(t, db, sess.ID) {
				t.Error("the idle session's row survived")
			}
		})

		t.Run("AbsoluteTimeout", func(t *testing.T) {
			b := app.browser(devOrigin)
			b.logIn(t, learner, "")
			cookie := b.cookie
			sess := sessionByToken(t, db, cookie)
			for i := 1; i <= 35; i++ {
				clock.Advance(20 * time.Minute)
				if got := b.viewerEmail(t); got != learner.Email {
					t.Fatalf("refused %v after sign-in despite activity every 20 minutes", time.Duration(i)*20*time.Minute)
				}
			}
			clock.Advance(19 * time.Minute)
			var out struct {
				Viewer struct {
					Sessions []struct{ IdleExpiresAt, ExpiresAt time.Time }
				}
			}
			b.post(t, `{ viewer { sessions { idleExpiresAt expiresAt } } }`, nil).Decode(t, &out)
			if s := out.Viewer.Sessions; len(s) != 1 || !s[0].IdleExpiresAt.Equal(s[0].ExpiresAt) {
				t.Errorf("11h59m after sign-in sessions = %+v, want the idle expiry capped at the absolute one", s)
			}
			clock.Advance(time.Minute)
			if got := b.viewerEmail(t); got != "" {
				t.Fatalf("12 hours after sign-in the cookie still signs in as %s", got)
			}
			if b.cookie != "" {
				t.Error("the expired cookie was not cleared")
			}
			if sessionExists(t, db, sess.ID) {
				t.Error("the expired session's row survived")
			}
		})

		t.Run("SessionsMostRecentlyUsedFirst", func(t *testing.T) {
			admin := demoAccountWithRole(t, "ADMIN")
			first := app.browser(devOrigin)
			first.logIn(t, admin, "")
			clock.Advance(2 * time.Minute)
			second := app.browser(devOrigin)
			second.logIn(t, admin, "")
			clock.Advance(2 * time.Minute)
			ids, _ := first.currentSessions(t)
			want := []string{sessionGID(t, db, first.cookie), sessionGID(t, db, second.cookie)}
			if !slices.Equal(ids, want) {
				t.Fatalf("sessions = %v, want %v (the one just used first)", ids, want)
			}
		})

		t.Run("TokenSessionIdleTimeout", func(t *testing.T) {
			token := app.bearer("").logInToken(t, learner)
			clock.Advance(31 * time.Minute)
			r := app.bearer(token).post(t, `{ viewer { user { email } } }`, nil)
			requireRefused(t, r, http.StatusUnauthorized, "UNAUTHENTICATED")
		})
	})
}

const apiTokensDoc = `{ viewer { apiTokens { id name scopes createdAt expiresAt lastUsedAt } } }`

func (b *browser) apiTokens(t *testing.T) ([]apiTokenNode, testenv.Response) {
	t.Helper()
	var out struct {
		Viewer struct {
			APITokens []apiTokenNode `json:"apiTokens"`
		}
	}
	r := b.post(t, apiTokensDoc, nil)
	r.Decode(t, &out)
	return out.Viewer.APITokens, r
}

func TestIdentityAPITokens(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		clock := testenv.NewWallClock()
		app := newIdentityApp(t, db, httpserver.WithClock(clock.Now))
		learner, admin := demoAccountWithRole(t, "LEARNER"), demoAccountWithRole(t, "ADMIN")
		b := app.browser(devOrigin)
		b.logIn(t, learner, "")
		created := clock.Now()

		out, r := b.createToken(t, map[string]any{"name": "ci", "scopes": []string{"READ"}, "expiresInDays": 30})
		p := out.CreateAPIToken
		if p.Token == nil || !apiTokenSecret.MatchString(*p.Token) || p.APIToken == nil || len(p.UserErrors) != 0 {
			t.Fatalf("createApiToken = %s, want a lct_pat_ secret and the token", r.Data)
		}
		secret, node := *p.Token, *p.APIToken
		if node.Name != "ci" || !slices.Equal(node.Scopes, []string{"READ"}) || !node.CreatedAt.Equal(created) ||
			!node.ExpiresAt.Equal(created.Add(30*24*time.Hour)) || node.LastUsedAt != nil {
			t.Errorf("created token = %+v, want ci, [READ], expiring 30 days after %v, never used", node, created)
		}

		t.Run("SecretShownOnce", func(t *testing.T) {
			list, r := b.apiTokens(t)
			if len(list) != 1 || list[0].ID != node.ID || list[0].Name != "ci" || !slices.Equal(list[0].Scopes, []string{"READ"}) ||
				!list[0].ExpiresAt.Equal(node.ExpiresAt) || list[0].LastUsedAt != nil {
				t.Fatalf("apiTokens = %s, want the one token without its secret", r.Data)
			}
			if strings.Contains(string(r.Data), secret) || strings.Contains(string(r.Data), "lct_pat_") {
				t.Errorf("the token list shows the secret: %s", r.Data)
			}
			row, err := db.Ent.APIToken.Query().Where(apitoken.Name("ci")).Only(systemCtx())
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(secret))
			if !bytes.Equal(row.TokenHash, sum[:]) {
				t.Error("the stored token hash is not the secret's SHA-256")
			}
			requireNotStored(t, db, secret)
			if strings.Contains(app.client.Logs.String(), secret) {
				t.Error("the logs hold the API token's secret")
			}
		})

		t.Run("UseIsRecorded", func(t *testing.T) {
			clock.Advance(2 * time.Minute)
			used := clock.Now()
			if got := app.bearer(secret).viewerEmail(t); got != learner.Email {
				t.Fatalf("viewer with the API token = %q, want %s", got, learner.Email)
			}
			list, r := b.apiTokens(t)
			if len(list) != 1 || list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(used) {
				t.Fatalf("apiTokens after a use at %v = %s", used, r.Data)
			}
		})

		t.Run("InvalidInput", func(t *testing.T) {
			tests := []struct {
				name  string
				input map[string]any
				want  userError
			}{
				{"ZeroDays", map[string]any{"name": "zero", "scopes": []string{"READ"}, "expiresInDays": 0}, userError{Code: "INVALID", Field: []string{"input", "expiresInDays"}}},
				{"NegativeDays", map[string]any{"name": "negative", "scopes": []string{"READ"}, "expiresInDays": -1}, userError{Code: "INVALID", Field: []string{"input", "expiresInDays"}}},
				{"OverAYear", map[string]any{"name": "long", "scopes": []string{"READ"}, "expiresInDays": 366}, userError{Code: "INVALID", Field: []string{"input", "expiresInDays"}}},
				{"DuplicateName", map[string]any{"name": "ci", "scopes": []string{"READ", "WRITE"}}, userError{Code: "NAME_TAKEN", Field: []string{"input", "name"}}},
				{"DuplicateNameWithSpaces", map[string]any{"name": "  ci ", "scopes": []string{"READ"}}, userError{Code: "NAME_TAKEN", Field: []string{"input", "name"}}},
				{"NoScopes", map[string]any{"name": "none", "scopes": []string{}}, userError{Code: "REQUIRED", Field: []string{"input", "scopes"}}},
				{"BlankName", map[string]any{"name": "   ", "scopes": []string{"READ"}}, userError{Code: "REQUIRED", Field: []string{"input", "name"}}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					out, r := b.createToken(t, tt.input)
					p := out.CreateAPIToken
					if p.Token != nil || p.APIToken != nil || len(p.UserErrors) != 1 ||
						p.UserErrors[0].Code != tt.want.Code || !slices.Equal(p.UserErrors[0].Field, tt.want.Field) || p.UserErrors[0].Message == "" {
						t.Fatalf("createApiToken(%v) = %s, want only %s on %v", tt.input, r.Data, tt.want.Code, tt.want.Field)
					}
					if n := rowCount(t, db.Ent.APIToken.Query()); n != 1 {
						t.Errorf("API tokens after a refused createApiToken: %d, want 1", n)
					}
				})
			}
		})

		t.Run("LifetimeBounds", func(t *testing.T) {
			for name, days := range map[string]any{"one day": 1, "a year": 365, "default": nil} {
				input := map[string]any{"name": name, "scopes": []string{"READ"}}
				want := 90
				if days != nil {
					input["expiresInDays"], want = days, days.(int)
				}
				out, r := b.createToken(t, input)
				p := out.CreateAPIToken
				if p.APIToken == nil || !p.APIToken.ExpiresAt.Equal(p.APIToken.CreatedAt.Add(time.Duration(want)*24*time.Hour)) {
					t.Errorf("createApiToken(%s) = %s, want it to expire after %d days", name, r.Data, want)
				}
			}
		})

		t.Run("RevokeOthersTokenIsNotFound", func(t *testing.T) {
			other := app.browser(devOrigin)
			other.logIn(t, admin, "")
			adminSecret, adminID := other.mustCreateToken(t, "admin tool", "READ", "WRITE")
			r := b.post(t, `mutation($id: ID!) { revokeApiToken(id: $id) { apiTokenId userErrors { code field } } }`, map[string]any{"id": adminID})
			want := `{"revokeApiToken":{"apiTokenId":null,"userErrors":[{"code":"NOT_FOUND","field":["id"]}]}}`
			if len(r.Errors) != 0 || string(r.Data) != want {
				t.Fatalf("revokeApiToken(another account's token) = %s, want %s", r.Data, want)
			}
			if got := app.bearer(adminSecret).viewerEmail(t); got != admin.Email {
				t.Error("another account's token stopped working")
			}
			r = b.post(t, `mutation($id: ID!) { revokeApiToken(id: $id) { apiTokenId userErrors { code field } } }`,
				map[string]any{"id": gid.New("APIToken", uuid.New()).String()})
			if len(r.Errors) != 0 || string(r.Data) != want {
				t.Fatalf("revokeApiToken(a missing token) = %s, want %s", r.Data, want)
			}
		})

		t.Run("Revoke", func(t *testing.T) {
			r := b.post(t, `mutation($id: ID!) { revokeApiToken(id: $id) { apiTokenId userErrors { code field } } }`, map[string]any{"id": node.ID})
			want := `{"revokeApiToken":{"apiTokenId":"` + node.ID + `","userErrors":[]}}`
			if len(r.Errors) != 0 || string(r.Data) != want {
				t.Fatalf("revokeApiToken = %s, want %s", r.Data, want)
			}
			r = app.bearer(secret).post(t, `{ viewer { user { email } } }`, nil)
			requireRefused(t, r, http.StatusUnauthorized, "UNAUTHENTICATED")
			if got := r.Header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			list, _ := b.apiTokens(t)
			for _, tok := range list {
				if tok.ID == node.ID {
					t.Error("the revoked token is still listed")
				}
			}
		})

		t.Run("Expiry", func(t *testing.T) {
			out, r := b.createToken(t, map[string]any{"name": "short lived", "scopes": []string{"READ"}, "expiresInDays": 1})
			if out.CreateAPIToken.Token == nil {
				t.Fatalf("createApiToken for one day = %s", r.Data)
			}
			short := *out.CreateAPIToken.Token
			clock.Advance(24*time.Hour - time.Minute)
			if got := app.bearer(short).viewerEmail(t); got != learner.Email {
				t.Fatal("a one-day token was refused before its day was over")
			}
			clock.Advance(time.Minute)
			r = app.bearer(short).post(t, `{ viewer { user { email } } }`, nil)
			requireRefused(t, r, http.StatusUnauthorized, "UNAUTHENTICATED")
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Error("the refusal of an expired token has no WWW-Authenticate")
			}
			again := app.browser(devOrigin)
			again.logIn(t, learner, "")
			list, r := again.apiTokens(t)
			if !slices.ContainsFunc(list, func(n apiTokenNode) bool { return n.Name == "short lived" }) {
				t.Errorf("apiTokens = %s, want the expired token still listed", r.Data)
			}
			if len(list) > 1 && list[0].CreatedAt.Before(list[len(list)-1].CreatedAt) {
				t.Errorf("apiTokens = %s, want newest first", r.Data)
			}
		})
	})
}

func TestIdentityPrivateUserFields(t *testing.T) {
	const doc = `{ course(slug: "backend-development-from-first-principles") {
  owner { displayName email role emailVerified }
  instructors { displayName email role emailVerified }
} }`
	type person struct {
		DisplayName   string
		Email         *string
		Role          *string
		EmailVerified *bool
	}
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		app := newIdentityApp(t, db)
		owner := demoAccountWithRole(t, "INSTRUCTOR")
		read := func(t *testing.T, b *browser) (person, []person) {
			t.Helper()
			var out struct {
				Course struct {
					Owner       person
					Instructors []person
				}
			}
			b.post(t, doc, nil).Decode(t, &out)
			if out.Course.Owner.DisplayName == "" || len(out.Course.Instructors) < 2 {
				t.Fatalf("course = %+v, want its owner and co-instructor", out.Course)
			}
			return out.Course.Owner, out.Course.Instructors
		}
		hidden := func(p person) bool { return p.Email == nil && p.Role == nil && p.EmailVerified == nil }
		signedIn := func(t *testing.T, role string) *browser {
			b := app.browser(devOrigin)
			b.logIn(t, demoAccountWithRole(t, role), "")
			return b
		}

		t.Run("Anonymous", func(t *testing.T) {
			o, people := read(t, app.browser(devOrigin))
			for _, p := range append(people, o) {
				if !hidden(p) {
					t.Errorf("anonymous sees %s's private fields: %+v", p.DisplayName, p)
				}
			}
		})
		t.Run("Learner", func(t *testing.T) {
			o, people := read(t, signedIn(t, "LEARNER"))
			for _, p := range append(people, o) {
				if !hidden(p) {
					t.Errorf("a learner sees %s's private fields: %+v", p.DisplayName, p)
				}
			}
		})
		t.Run("LearnerAPIToken", func(t *testing.T) {
			secret, _ := signedIn(t, "LEARNER").mustCreateToken(t, "reader", "READ")
			o, _ := read(t, app.bearer(secret))
			if !hidden(o) {
				t.Errorf("a learner's API token sees the owner's private fields: %+v", o)
			}
		})
		t.Run("OwnerThemselves", func(t *testing.T) {
			o, people := read(t, signedIn(t, "INSTRUCTOR"))
			if o.Email == nil || *o.Email != owner.Email || o.Role == nil || *o.Role != "INSTRUCTOR" || o.EmailVerified == nil || !*o.EmailVerified {
				t.Errorf("the owner reading themselves = %+v, want their email, role and verification", o)
			}
			for _, p := range people {
				if p.DisplayName != o.DisplayName && !hidden(p) {
					t.Errorf("the owner sees co-instructor %s's private fields: %+v", p.DisplayName, p)
				}
			}
		})
		// A password alone does not open other people's data to an
		// administrator.
		t.Run("AdminWithoutMFA", func(t *testing.T) {
			o, people := read(t, signedIn(t, "ADMIN"))
			for _, p := range append(people, o) {
				if !hidden(p) {
					t.Errorf("an admin without MFA sees %s's private fields: %+v", p.DisplayName, p)
				}
			}
		})
		t.Run("AdminWithMFA", func(t *testing.T) {
			b := app.browser(devOrigin)
			b.logInWithTOTP(t, db, demoAccountWithRole(t, "ADMIN"))
			o, people := read(t, b)
			if o.Email == nil || *o.Email != owner.Email || o.Role == nil || *o.Role != "INSTRUCTOR" {
				t.Errorf("an admin with MFA reading the owner = %+v, want the email and role", o)
			}
			for _, p := range people {
				if p.Email == nil || p.Role == nil {
					t.Errorf("an admin with MFA reading %s = %+v, want the email and role", p.DisplayName, p)
				}
			}
		})
	})
}

// logInWithTOTP turns two-factor sign-in on for a, storing a new TOTP
// secret as the app stores it, and signs b in with a current code.
func (b *browser) logInWithTOTP(t *testing.T, db *database.DB, a seed.DemoAccount) {
	t.Helper()
	id := accountID(t, db, a.Email)
	secret, err := totp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ent.User.UpdateOneID(id).SetTotpSecret(testenv.SealTOTP(t, id, secret)).SetMfaEnabledAt(time.Now()).
		Exec(systemCtx()); err != nil {
		t.Fatal(err)
	}
	var in struct {
		LogIn struct {
			MfaRequired  bool
			MfaChallenge string
		}
	}
	b.post(t, `mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p}) { mfaRequired mfaChallenge } }`,
		map[string]any{"e": a.Email, "p": a.Password}).Decode(t, &in)
	if !in.LogIn.MfaRequired || in.LogIn.MfaChallenge == "" {
		t.Fatalf("logIn as %s with MFA on: %+v, want a challenge", a.Email, in)
	}
	code, err := totp.Code(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		VerifyMfa struct {
			Viewer *struct{ SessionMfa bool }
		}
	}
	r := b.post(t, `mutation($ch: String!, $code: String!) { verifyMfa(input: {challenge: $ch, code: $code}) { viewer { sessionMfa } } }`,
		map[string]any{"ch": in.LogIn.MfaChallenge, "code": code})
	r.Decode(t, &out)
	if out.VerifyMfa.Viewer == nil || !out.VerifyMfa.Viewer.SessionMfa || b.cookie == "" {
		t.Fatalf("verifyMfa as %s: %s", a.Email, r.Data)
	}
}

func TestIdentityChangePasswordEndsOtherSessions(t *testing.T) {
	const doc = `mutation($current: String!, $next: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $next}) { user { email } userErrors { code field } }
}`
	const next = "a brand new passphrase for priya"
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		app := newIdentityApp(t, db)
		learner := demoAccountWithRole(t, "LEARNER")
		a := app.browser(devOrigin)
		a.logIn(t, learner, "")
		before := a.cookie
		other := app.browser(devOrigin)
		other.logIn(t, learner, "")
		token := app.bearer("").logInToken(t, learner)

		r := a.post(t, doc, map[string]any{"current": learner.Password, "next": next})
		want := `{"changePassword":{"user":{"email":"` + learner.Email + `"},"userErrors":[]}}`
		if len(r.Errors) != 0 || string(r.Data) != want {
			t.Fatalf("changePassword = %s (errors %+v), want %s", r.Data, r.Errors, want)
		}
		if got := a.viewerEmail(t); got != learner.Email {
			t.Fatal("the session that changed the password did not continue")
		}
		if a.cookie == before {
			t.Error("the cookie session kept its token across the password change")
		}
		if got := other.viewerEmail(t); got != "" {
			t.Errorf("another browser session survived the password change as %s", got)
		}
		requireRefused(t, app.bearer(token).post(t, `{ viewer { user { email } } }`, nil), http.StatusUnauthorized, "UNAUTHENTICATED")
		if n := len(sessionsOf(t, db, learner.Email)); n != 1 {
			t.Errorf("the learner has %d sessions after the change, want 1", n)
		}

		r = app.browser(devOrigin).post(t, logInDoc, map[string]any{"email": learner.Email, "password": learner.Password})
		if !strings.Contains(string(r.Data), `"code":"INVALID_CREDENTIALS"`) {
			t.Errorf("logIn with the old password = %s, want INVALID_CREDENTIALS", r.Data)
		}
		renewed := learner
		renewed.Password = next
		app.browser(devOrigin).logIn(t, renewed, "")
	})
}
