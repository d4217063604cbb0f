package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"lectern/internal/config"
	"lectern/internal/obs"
)

// Caller is one client of the app's GraphQL endpoint, sending what a
// browser page sends: its own network address and user agent, the page's
// Origin, the session cookie the server last set, and a bearer token when
// it has one. A Caller is used from one goroutine at a time; to send
// requests at once, build them with Request and send them with
// Client.ServeAtOnce.
type Caller struct {
	app *Client
	// Addr is the client's IP address as the server sees it. No other
	// caller of the test process is given the same one, so what is
	// counted per address (throttles, audit records) is this caller's
	// alone.
	Addr string
	// UserAgent is sent as User-Agent.
	UserAgent string
	// Origin is the page's origin, the app's own unless changed; empty
	// sends no Origin header, as a script does.
	Origin string
	// Cookie is the session cookie's value, kept from each answer the way
	// a browser keeps it: set by Set-Cookie, emptied when cleared.
	Cookie string
	// Bearer, when set, is sent as `Authorization: Bearer`.
	Bearer string
	// Key, when set, is sent as Idempotency-Key. With
	// LECTERN_TEST_IDEMPOTENCY=each in the environment, every request
	// without one gets a new key: the whole suite then runs each mutation
	// in the transaction an idempotent request runs in.
	Key string
	// ID and Email are the account SignIn and SignInMFA signed in to.
	ID    uuid.UUID
	Email string
}

// callers numbers the callers of the process, for their addresses.
var callers atomic.Int64

// NewCaller returns an anonymous browser on the app's own origin, from an
// address and with a user agent no other caller has.
func (c *Client) NewCaller() *Caller {
	n := callers.Add(1)
	return &Caller{
		app:       c,
		Addr:      fmt.Sprintf("198.51.%d.%d", 100+n/250%100, 1+n%250),
		UserAgent: fmt.Sprintf("lectern-test/%d", n),
		Origin:    AppOrigin(),
	}
}

// Clone is another tab of the same browser: the same address, agent,
// origin and credentials, kept apart from here on.
func (c *Caller) Clone() *Caller {
	cp := *c
	return &cp
}

// WithBearer returns a copy of c that sends token as a bearer token and no
// cookie.
func (c *Caller) WithBearer(token string) *Caller {
	cp := *c
	cp.Cookie, cp.Bearer = "", token
	return &cp
}

// Query posts a GraphQL document with its variables as c.
func (c *Caller) Query(t testing.TB, doc string, vars map[string]any) Reply {
	t.Helper()
	return c.Post(t, graphQLBody(t, doc, vars))
}

// Post sends body to the GraphQL endpoint as c, as it is: for what the
// transport must refuse (batches, malformed JSON).
func (c *Caller) Post(t testing.TB, body []byte) Reply {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return c.Do(t, req)
}

// Do sends any request as c, with c's address, agent, origin and
// credentials added, and keeps the session cookie the answer sets.
func (c *Caller) Do(t testing.TB, req *http.Request) Reply {
	t.Helper()
	c.dress(req)
	rec := httptest.NewRecorder()
	c.app.Handler.ServeHTTP(rec, req)
	r := Recorded(t, rec)
	if v, set := r.SessionCookie(); set {
		c.Cookie = v
	}
	return r
}

// Request returns the POST of a GraphQL document that Query would send,
// without sending it. It touches t only while building, so the request may
// be served from any goroutine.
func (c *Caller) Request(t testing.TB, doc string, vars map[string]any) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(graphQLBody(t, doc, vars)))
	req.Header.Set("Content-Type", "application/json")
	c.dress(req)
	return req
}

// dress adds to req what the browser adds to every request it sends.
func (c *Caller) dress(req *http.Request) {
	req.RemoteAddr = net.JoinHostPort(c.Addr, "40000")
	req.Header.Set("User-Agent", c.UserAgent)
	if c.Origin != "" {
		req.Header.Set("Origin", c.Origin)
	}
	if _, err := req.Cookie(SessionCookieName()); err != nil && c.Cookie != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookieName(), Value: c.Cookie})
	}
	if c.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.Bearer)
	}
	switch {
	case c.Key != "":
		req.Header.Set("Idempotency-Key", c.Key)
	case keyEach && req.Header.Get("Idempotency-Key") == "":
		req.Header.Set("Idempotency-Key", uuid.NewString())
	}
}

// keyEach is LECTERN_TEST_IDEMPOTENCY=each (see Caller.Key).
var keyEach = os.Getenv("LECTERN_TEST_IDEMPOTENCY") == "each"

// ServeAtOnce releases every request together, each on a goroutine of its
// own, and returns the answers in order. The goroutines never touch t, and
// the callers that built the requests keep no cookie from the answers.
func (c *Client) ServeAtOnce(t testing.TB, reqs ...*http.Request) []Reply {
	t.Helper()
	recs := make([]*httptest.ResponseRecorder, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range reqs {
		recs[i] = httptest.NewRecorder()
		wg.Go(func() {
			<-start
			c.Handler.ServeHTTP(recs[i], req)
		})
	}
	close(start)
	wg.Wait()
	out := make([]Reply, len(recs))
	for i, rec := range recs {
		out[i] = Recorded(t, rec)
	}
	return out
}

func graphQLBody(t testing.TB, doc string, vars map[string]any) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": doc, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// Reply is an answer as a Caller receives it: the decoded Response and the
// body as sent.
type Reply struct {
	Response
	Raw []byte
}

// Recorded decodes the answer a handler wrote to rec, for requests served
// on goroutines of their own, which must not touch t.
func Recorded(t testing.TB, rec *httptest.ResponseRecorder) Reply {
	t.Helper()
	raw, _ := io.ReadAll(rec.Body)
	var r Reply
	if len(raw) > 0 && json.Unmarshal(raw, &r.Response) != nil {
		t.Fatalf("response is not JSON (%d): %s", rec.Code, raw)
	}
	r.Status, r.Header, r.Size, r.Raw = rec.Code, rec.Header(), len(raw), raw
	return r
}

// Root returns data.<name> as sent, and whether the answer has it.
func (r Reply) Root(name string) (json.RawMessage, bool) {
	var data map[string]json.RawMessage
	if json.Unmarshal(r.Data, &data) != nil {
		return nil, false
	}
	v, ok := data[name]
	return v, ok
}

// Field decodes data.<name> into v, failing the test unless the request
// succeeded (200, no errors) and answered that field.
func (r Reply) Field(t testing.TB, name string, v any) {
	t.Helper()
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("%s: status %d, errors %+v", name, r.Status, r.Errors)
	}
	raw, ok := r.Root(name)
	if !ok {
		t.Fatalf("no data.%s in %s", name, r.Raw)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode data.%s %s: %v", name, raw, err)
	}
}

// OnlyError returns the answer's one error, failing the test when there
// are none or several.
func (r Reply) OnlyError(t testing.TB) Error {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("want exactly one error, got %d: %s", len(r.Errors), r.Raw)
	}
	return r.Errors[0]
}

// ErrorExtension returns extensions.<key> of the answer's error i as sent
// (float64 for a number), or nil.
func (r Reply) ErrorExtension(t testing.TB, i int, key string) any {
	t.Helper()
	var body struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.Raw, &body); err != nil || i >= len(body.Errors) {
		t.Fatalf("no error %d in %s", i, r.Raw)
	}
	return body.Errors[i].Extensions[key]
}

// RequestID is the X-Request-ID the server answered with.
func (r Reply) RequestID() string { return r.Header.Get(obs.HeaderRequestID) }

// SessionCookie returns the value the answer gives the session cookie, and
// whether it sets the cookie at all: "" with true means it is cleared.
// Where the answer sets it more than once the last line counts, as it does
// for a browser.
func (r Reply) SessionCookie() (string, bool) {
	value, set := "", false
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name != SessionCookieName() {
			continue
		}
		value, set = c.Value, true
		if c.MaxAge < 0 {
			value = ""
		}
	}
	return value, set
}

// devConfig is the configuration NewClient builds the app with.
var devConfig = sync.OnceValues(func() (config.Config, error) {
	return config.Load(func(string) string { return "" })
})

// AppOrigin is the origin NewClient's app is served from, which its own
// pages send.
func AppOrigin() string {
	cfg, err := devConfig()
	if err != nil {
		panic(fmt.Sprintf("testenv: dev configuration: %v", err))
	}
	return cfg.PublicOrigin()
}

// SessionCookieName is the name of NewClient's app's session cookie.
func SessionCookieName() string {
	cfg, err := devConfig()
	if err != nil {
		panic(fmt.Sprintf("testenv: dev configuration: %v", err))
	}
	name, _ := cfg.SessionCookie()
	return name
}
