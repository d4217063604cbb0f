package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// httpClient sends the benchmark's own requests (set-up, checks, profiles);
// each bounds its time with its context.
var httpClient = &http.Client{}

// callTimeout bounds one set-up or check request.
const callTimeout = 30 * time.Second

// request is one GraphQL request, as a load generator sends it over and
// over.
type request struct {
	url   string
	body  []byte
	token string // bearer token; empty for an anonymous request
}

func newRequest(s *server, query string, variables map[string]any, token string) (request, error) {
	body, err := json.Marshal(struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables,omitempty"`
	}{query, variables})
	return request{url: s.endpoint, body: body, token: token}, err
}

// httpRequest builds the HTTP request that carries r.
func (r request) httpRequest(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(r.body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	return req, nil
}

// call sends r once and returns the response's data. A transport error, a
// status other than 200, an "errors" entry or null data is an error.
func (r request) call(ctx context.Context) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req, err := r.httpRequest(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var answer struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s: %.500s", r.url, resp.Status, body)
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return nil, fmt.Errorf("%s: %w", r.url, err)
	}
	if len(answer.Errors) > 0 {
		return nil, fmt.Errorf("%s answered %d error(s), the first: %s", r.url, len(answer.Errors), answer.Errors[0])
	}
	if len(answer.Data) == 0 || string(answer.Data) == "null" {
		return nil, fmt.Errorf("%s answered no data", r.url)
	}
	return answer.Data, nil
}

// fixture is what the scenarios read: the published courses, one of them
// by slug, and a learner enrolled in that one.
type fixture struct {
	courses              int // published
	courseID, courseSlug string
	token                string // the learner's session token
}

// catalogueHead is the size of the anonymous catalogue and its first course.
type catalogueHead struct {
	total    int
	id, slug string
}

// firstCourse asks for the newest published course and how many there are.
func firstCourse(ctx context.Context, s *server) (catalogueHead, error) {
	r, err := newRequest(s, `{ courses(first: 1) { totalCount edges { node { id slug } } } }`, nil, "")
	if err != nil {
		return catalogueHead{}, err
	}
	data, err := r.call(ctx)
	if err != nil {
		return catalogueHead{}, err
	}
	var v struct {
		Courses struct {
			TotalCount int
			Edges      []struct {
				Node struct{ ID, Slug string }
			}
		}
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return catalogueHead{}, err
	}
	head := catalogueHead{total: v.Courses.TotalCount}
	if len(v.Courses.Edges) > 0 {
		head.id, head.slug = v.Courses.Edges[0].Node.ID, v.Courses.Edges[0].Node.Slug
	}
	return head, nil
}

// userErrors is the userErrors list of a mutation payload.
type userErrors []struct{ Code, Message string }

func (u userErrors) err(mutation string) error {
	if len(u) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s: %s", mutation, u[0].Code, u[0].Message)
}

// logIn signs a learner in (password learnerPassword) and returns the
// session token.
func logIn(ctx context.Context, s *server, email string) (string, error) {
	r, err := newRequest(s, `mutation($email: String!, $password: String!) {
  logIn(input: {email: $email, password: $password, transport: TOKEN}) {
    token mfaRequired userErrors { code message }
  }
}`, map[string]any{"email": email, "password": learnerPassword}, "")
	if err != nil {
		return "", err
	}
	data, err := r.call(ctx)
	if err != nil {
		return "", err
	}
	var v struct {
		LogIn struct {
			Token       string
			MFARequired bool
			UserErrors  userErrors
		}
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return "", err
	}
	if err := v.LogIn.UserErrors.err("logIn"); err != nil {
		return "", err
	}
	if v.LogIn.MFARequired || v.LogIn.Token == "" {
		return "", errors.New("logIn: no token (does " + email + " have two-factor sign-in on?)")
	}
	return v.LogIn.Token, nil
}

// enroll enrols the learner signed in with token in a course (idempotent).
func enroll(ctx context.Context, s *server, courseID, token string) error {
	r, err := newRequest(s, `mutation($id: ID!) { enroll(courseId: $id) { enrollment { status } userErrors { code message } } }`,
		map[string]any{"id": courseID}, token)
	if err != nil {
		return err
	}
	data, err := r.call(ctx)
	if err != nil {
		return err
	}
	var v struct {
		Enroll struct{ UserErrors userErrors }
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	return v.Enroll.UserErrors.err("enroll")
}

// download writes the body of a GET of url to path.
func download(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, msg)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// answers reports whether a request to url gets a 200.
func answers(ctx context.Context, method, url string, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
