package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/session"
	"lectern/internal/database"
	"lectern/internal/obs"
	"lectern/internal/seed"
	"lectern/internal/testenv"
)

// What the tests of the identity flows through the whole app share: the
// demo accounts of a dev server (newDemoHarness), what a session or an API
// token looks like on the wire, and what is stored of it.

var (
	// sessionCookieLine is the whole Set-Cookie line of a new dev session:
	// no Domain (host-only), no Secure (plain-HTTP dev), a Max-Age.
	sessionCookieLine = regexp.MustCompile(`^lectern_session=(lct_ses_[a-z2-7]{52}); Path=/; Expires=[^;]+; Max-Age=(\d+); HttpOnly; SameSite=Lax$`)
	apiTokenSecret    = regexp.MustCompile(`^lct_pat_[a-z2-7]{52}$`)
)

// sessionSetCookie returns the response's one Set-Cookie line for the
// session cookie, raw and parsed, or nil when there is none.
func sessionSetCookie(t *testing.T, h http.Header) (string, *http.Cookie) {
	t.Helper()
	var lines []string
	for _, l := range h.Values("Set-Cookie") {
		if strings.HasPrefix(l, testenv.SessionCookieName()+"=") {
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
func requireCleared(t *testing.T, r testenv.Reply) {
	t.Helper()
	raw, c := sessionSetCookie(t, r.Header)
	if c == nil || c.Value != "" || c.MaxAge >= 0 || !c.HttpOnly || c.Path != "/" {
		t.Fatalf("Set-Cookie = %q, want the session cookie cleared (empty, Max-Age=0, Path=/, HttpOnly)", raw)
	}
}

// logInAnswer is what the tests read of a sign-in's answer.
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

// logInAs signs c in to the demo account a with transport ("" for the
// default, COOKIE) and returns the decoded answer.
func (c *caller) logInAs(t *testing.T, a seed.DemoAccount, transport string) (logInAnswer, testenv.Reply) {
	t.Helper()
	r := c.SignIn(t, a.Email, a.Password, transport)
	var out logInAnswer
	r.Decode(t, &out)
	return out, r
}

// logInToken signs a in with transport TOKEN and returns the session token.
func (c *caller) logInToken(t *testing.T, a seed.DemoAccount) string {
	t.Helper()
	out, _ := c.logInAs(t, a, testenv.TokenTransport)
	if out.LogIn.Token == nil {
		t.Fatalf("logIn TOKEN as %s returned no token", a.Email)
	}
	return *out.LogIn.Token
}

// signInWithTOTP turns two-factor sign-in on for a and returns a browser
// signed in to it with a current code.
func (h *harness) signInWithTOTP(t *testing.T, a seed.DemoAccount) *caller {
	t.Helper()
	secret := testenv.EnableTOTP(t, h.db, testenv.AccountID(t, h.db, a.Email), h.clock.Now())
	b := h.browser()
	b.SignInMFA(t, a.Email, a.Password, testenv.TOTPCode(t, secret, h.clock.Now()), "")
	return b
}

// viewerEmail returns the email of the signed-in caller, or "" when the
// request ran anonymously; any error fails the test.
func (c *caller) viewerEmail(t *testing.T) string {
	t.Helper()
	r := c.Query(t, `{ viewer { user { email } } }`, nil)
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

// apiTokenDoc is createApiToken with the whole token selected.
const apiTokenDoc = `mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) {
    token apiToken { id name scopes createdAt expiresAt lastUsedAt }
    userErrors { code field message }
  }
}`

// createTokenWith sends createApiToken with input as it is.
func (c *caller) createTokenWith(t *testing.T, input map[string]any) (createTokenAnswer, testenv.Reply) {
	t.Helper()
	r := c.Query(t, apiTokenDoc, map[string]any{"input": input})
	var out createTokenAnswer
	r.Decode(t, &out)
	return out, r
}

// mustCreateToken creates a token and returns its secret and global ID.
func (c *caller) mustCreateToken(t *testing.T, name string, scopes ...string) (secret, id string) {
	t.Helper()
	out, r := c.createTokenWith(t, map[string]any{"name": name, "scopes": scopes})
	if out.CreateAPIToken.Token == nil || out.CreateAPIToken.APIToken == nil {
		t.Fatalf("createApiToken %s: %s", name, r.Data)
	}
	return *out.CreateAPIToken.Token, out.CreateAPIToken.APIToken.ID
}

// requireRefused checks a request refused before execution: status, one
// error with code and the request ID of the response header, and no data.
func requireRefused(t *testing.T, r testenv.Reply, status int, code string) {
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
func requireGraphQLError(t *testing.T, r testenv.Reply, code string) {
	t.Helper()
	if r.Status != http.StatusOK || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != code {
		t.Fatalf("status %d, errors %+v; want one %s", r.Status, r.Errors, code)
	}
	if string(r.Data) != "null" {
		t.Errorf("the refused mutation answered data %s", r.Data)
	}
}

func sessionExists(t *testing.T, db *database.DB, id uuid.UUID) bool {
	t.Helper()
	ok, err := db.Ent.Session.Query().Where(session.ID(id)).Exist(sys())
	if err != nil {
		t.Fatal(err)
	}
	return ok
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
