package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/seed"
	"lectern/internal/testenv"
)

// TestKilledAfterCommitReplays kills the server (SIGKILL) the moment a
// keyed mutation's effects and answer are committed, whether or not the
// answer left, restarts it on the same data, and retries: the retry must
// replay the committed answer and make nothing new.
func TestKilledAfterCommitReplays(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		killAfterCommit(t, dir, "sqlite:"+filepath.Join(dir, config.DefaultSQLiteFile))
	})
	t.Run("postgres", func(t *testing.T) {
		url := testenv.EmptyPostgres(t)
		env := []string{config.VarDatabaseURL + "=" + url}
		runLectern(t, env, "migrate")
		runLectern(t, env, "seed")
		killAfterCommit(t, t.TempDir(), url, env...)
	})
}

func killAfterCommit(t *testing.T, dir, dbURL string, env ...string) {
	srv := startServerIn(t, dir, env...)
	instructor := seed.DemoAccounts[1]
	token := logInToken(t, srv.URL, instructor.Email, instructor.Password)
	db, err := database.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	const key = "killed-after-commit"
	body := []byte(`{"query": "mutation { createCourse(input: {title: \"Survives\", slug: \"survives-a-kill\"}) { course { id slug } userErrors { code } } }"}`)
	first := make(chan []byte, 1)
	go func() {
		status, raw, _ := postKeyed(srv.URL, token, key, body)
		if status != http.StatusOK {
			raw = nil
		}
		first <- raw
	}()
	deadline := time.Now().Add(suiteWait)
	for {
		var n int
		if err := db.SQL.QueryRowContext(t.Context(), `SELECT count(*) FROM idempotency_keys WHERE key = '`+key+`'`).Scan(&n); err != nil {
			t.Fatalf("poll: %v", err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the keyed mutation never committed; server output:\n%s", tail(srv.output.String(), 40))
		}
		time.Sleep(time.Millisecond)
	}
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-srv.exited
	answered := <-first

	srv = startServerIn(t, dir, append(env, config.VarSeedDemoData+"=false")...)
	status, raw, header := postKeyed(srv.URL, token, key, body)
	if status != http.StatusOK || header.Get("Idempotent-Replayed") != "true" || !strings.Contains(string(raw), `"slug":"survives-a-kill"`) {
		t.Fatalf("retry after the restart: %d %v %s", status, header, raw)
	}
	if answered != nil && !bytes.Equal(answered, raw) {
		t.Fatalf("the replay differs from the first answer:\n%s\n%s", answered, raw)
	}
	var n int
	if err := db.SQL.QueryRowContext(t.Context(), `SELECT count(*) FROM courses WHERE slug = 'survives-a-kill'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d courses (%v), want 1", n, err)
	}
	srv.stop(t)
}

// postKeyed posts a GraphQL body with a bearer token and Idempotency-Key,
// returning the status, body and headers (zero values when the server
// went away).
func postKeyed(base, token, key string, body []byte) (int, []byte, http.Header) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, base+"/v1/graphql", bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil
	}
	return resp.StatusCode, raw, resp.Header
}

// logInToken signs in over HTTP and returns the session token.
func logInToken(t *testing.T, base, email, password string) string {
	t.Helper()
	vars, _ := json.Marshal(map[string]string{"email": email, "password": password})
	body := []byte(`{"query": "mutation($email: String!, $password: String!) { logIn(input: {email: $email, password: $password, transport: TOKEN}) { token } }", "variables": ` + string(vars) + `}`)
	resp, err := http.Post(base+"/v1/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			LogIn struct{ Token *string } `json:"logIn"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Data.LogIn.Token == nil {
		t.Fatalf("logIn as %s: %v", email, err)
	}
	return *out.Data.LogIn.Token
}
