package playground_test

import (
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"lectern/internal/playground"
)

const (
	endpoint = "/v1/graphql"

	cspLocal = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
		"connect-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	cspCDN = "default-src 'none'; script-src 'self' https://cdn.jsdelivr.net; " +
		"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; " +
		"connect-src 'self'; img-src 'self' data:; font-src 'self' data: https://cdn.jsdelivr.net; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

	bootstrapURL = "/playground/assets/lectern-playground.js"
)

func newHandler(t *testing.T, cfg playground.Config) http.Handler {
	t.Helper()
	h, err := playground.New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return h
}

func serve(h http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

func getPage(t *testing.T, h http.Handler) string {
	t.Helper()
	w := serve(h, http.MethodGet, "/")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /: status %d, want 200", w.Code)
	}
	if got := w.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("GET /: Content-Type %q", got)
	}
	return w.Body.String()
}

// fillAssets writes fake versions of the pinned files, as npm would lay
// them out, skipping the files named in skip.
func fillAssets(t *testing.T, dir string, skip ...string) {
	t.Helper()
	write := func(rel, body string) {
		for _, s := range skip {
			if s == rel {
				return
			}
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range playground.PinnedFiles() {
		base := "node_modules/" + f.Package + "/"
		write(base+"package.json", fmt.Sprintf(`{"name":%q,"version":%q}`, f.Package, f.Version))
		write(base+f.Path, fakeBody(f))
	}
}

func fakeBody(f playground.PinnedFile) string { return "fake " + f.Package + "/" + f.Path }

var (
	scriptTag = regexp.MustCompile(`<script\b[^>]*>`)
	srcAttr   = regexp.MustCompile(`\b(?:src|href)="([^"]*)"`)
)

// checkNoInlineScript fails if any script element lacks a src.
func checkNoInlineScript(t *testing.T, page string) {
	t.Helper()
	for _, tag := range scriptTag.FindAllString(page, -1) {
		if !strings.Contains(tag, ` src="`) {
			t.Errorf("inline script: %s", tag)
		}
	}
}

func TestCDNPage(t *testing.T) {
	h := newHandler(t, playground.Config{Endpoint: endpoint})
	w := serve(h, http.MethodGet, "/")
	if got := w.Header().Get("Content-Security-Policy"); got != cspCDN {
		t.Errorf("CSP = %q\nwant %q", got, cspCDN)
	}
	checkSecurityHeaders(t, w)
	page := html.UnescapeString(w.Body.String())

	last := -1
	for _, f := range playground.PinnedFiles() {
		attrs := fmt.Sprintf(`="%s" integrity="%s" crossorigin="anonymous"`, f.CDNURL, f.Integrity)
		i := strings.Index(page, attrs)
		if i < 0 {
			t.Errorf("page lacks %s", attrs)
			continue
		}
		if strings.HasSuffix(f.Path, ".js") {
			if i < last {
				t.Errorf("%s loads out of order", f.CDNURL)
			}
			last = i
		}
	}
	if i := strings.Index(page, `src="`+bootstrapURL+`"`); i < last {
		t.Errorf("bootstrap missing or loaded before GraphiQL")
	}
	checkNoInlineScript(t, page)

	for _, f := range playground.PinnedFiles() {
		if w := serve(h, http.MethodGet, f.LocalURL); w.Code != http.StatusNotFound {
			t.Errorf("CDN mode: GET %s: status %d, want 404", f.LocalURL, w.Code)
		}
	}
}

func checkSecurityHeaders(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if got := w.Header().Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q", got)
	}
}

func TestBootstrapServedInBothModes(t *testing.T) {
	dir := t.TempDir()
	fillAssets(t, dir)
	for name, cfg := range map[string]playground.Config{
		"cdn":   {Endpoint: endpoint},
		"local": {Endpoint: endpoint, AssetsDir: dir},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHandler(t, cfg)
			for _, target := range []string{bootstrapURL, "/playground/assets/lectern-playground.css"} {
				w := serve(h, http.MethodGet, target)
				if w.Code != http.StatusOK || w.Body.Len() == 0 {
					t.Errorf("GET %s: status %d, %d bytes", target, w.Code, w.Body.Len())
				}
				if got := w.Header().Get("Cache-Control"); got != "no-cache" {
					t.Errorf("GET %s: Cache-Control %q, want no-cache", target, got)
				}
			}
			w := serve(h, http.MethodGet, bootstrapURL)
			if got := w.Header().Get("Content-Type"); got != "text/javascript; charset=utf-8" {
				t.Errorf("bootstrap Content-Type %q", got)
			}
			for _, want := range []string{"credentials: 'same-origin'", "dataset", "createRoot"} {
				if !strings.Contains(w.Body.String(), want) {
					t.Errorf("bootstrap lacks %q", want)
				}
			}
		})
	}
}

func TestLocalPage(t *testing.T) {
	dir := t.TempDir()
	fillAssets(t, dir)
	h := newHandler(t, playground.Config{Endpoint: endpoint, AssetsDir: dir})

	w := serve(h, http.MethodGet, "/")
	if got := w.Header().Get("Content-Security-Policy"); got != cspLocal {
		t.Errorf("CSP = %q\nwant %q", got, cspLocal)
	}
	checkSecurityHeaders(t, w)
	page := w.Body.String()
	checkNoInlineScript(t, page)
	for _, m := range srcAttr.FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "/playground/assets/") {
			t.Errorf("page references non-local URL %q", m[1])
		}
	}
	if strings.Contains(page, "cdn.jsdelivr.net") || strings.Contains(page, "integrity=") {
		t.Errorf("local page mentions the CDN or SRI:\n%s", page)
	}
	for _, f := range playground.PinnedFiles() {
		if !strings.Contains(page, `"`+f.LocalURL+`"`) {
			t.Errorf("page lacks %s", f.LocalURL)
		}
	}
}

func TestLocalAssets(t *testing.T) {
	dir := t.TempDir()
	fillAssets(t, dir)
	h := newHandler(t, playground.Config{Endpoint: endpoint, AssetsDir: dir})

	for _, f := range playground.PinnedFiles() {
		w := serve(h, http.MethodGet, f.LocalURL)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: status %d", f.LocalURL, w.Code)
			continue
		}
		if got, want := w.Body.String(), fakeBody(f); got != want {
			t.Errorf("GET %s: body %q, want %q", f.LocalURL, got, want)
		}
		want := "text/javascript; charset=utf-8"
		if strings.HasSuffix(f.Path, ".css") {
			want = "text/css; charset=utf-8"
		}
		if got := w.Header().Get("Content-Type"); got != want {
			t.Errorf("GET %s: Content-Type %q, want %q", f.LocalURL, got, want)
		}
		if got := w.Header().Get("Cache-Control"); !strings.Contains(got, "immutable") || !strings.Contains(got, "max-age=31536000") {
			t.Errorf("GET %s: Cache-Control %q", f.LocalURL, got)
		}
		checkSecurityHeaders(t, w)

		head := serve(h, http.MethodHead, f.LocalURL)
		if head.Code != http.StatusOK || head.Body.Len() != 0 {
			t.Errorf("HEAD %s: status %d, %d body bytes", f.LocalURL, head.Code, head.Body.Len())
		}
		if got, want := head.Header().Get("Content-Length"), fmt.Sprint(len(fakeBody(f))); got != want {
			t.Errorf("HEAD %s: Content-Length %q, want %q", f.LocalURL, got, want)
		}

		cond := httptest.NewRequest(http.MethodGet, f.LocalURL, nil)
		cond.Header.Set("If-None-Match", w.Header().Get("ETag"))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, cond)
		if rec.Code != http.StatusNotModified {
			t.Errorf("conditional GET %s: status %d, want 304", f.LocalURL, rec.Code)
		}
	}
}

func TestLocalRejectsOtherPaths(t *testing.T) {
	dir := t.TempDir()
	fillAssets(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, playground.Config{Endpoint: endpoint, AssetsDir: dir})
	js := playground.PinnedFiles()[0].LocalURL

	for _, target := range []string{
		"/playground/assets/../x",
		"/playground/assets/../secret.txt",
		"/playground/assets/..%2fsecret.txt",
		"/playground/assets/%2e%2e/secret.txt",
		"/playground/assets/%2e%2e%2fsecret.txt",
		"/playground/assets/..%5csecret.txt",
		"/playground/assets/graphiql@3.9.0/../../../secret.txt",
		js + "/../../../../secret.txt",
		js + "%00",
		js + "/",
		"/playground/assets/secret.txt",
		"/playground/assets/node_modules/graphiql/graphiql.min.js",
		"/playground/assets/graphiql@3.9.0/package.json",
		"/playground/assets/graphiql@3.9.0/",
		"/playground/assets/",
		"/playground/",
		"/playground/assets/unknown.js",
		"/index.html",
	} {
		w := serve(h, http.MethodGet, target)
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", target, w.Code)
		}
		if strings.Contains(w.Body.String(), "secret") || strings.Contains(w.Body.String(), "fake") {
			t.Errorf("GET %s leaked a file: %q", target, w.Body.String())
		}
	}
}

func TestMethods(t *testing.T) {
	h := newHandler(t, playground.Config{Endpoint: endpoint})
	head := serve(h, http.MethodHead, "/")
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD /: status %d, %d body bytes, Content-Length %q",
			head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
	}
	post := serve(h, http.MethodPost, "/")
	if post.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d, want 405", post.Code)
	}
}

// TestMountedOnMux mounts the handler the way the server does.
func TestMountedOnMux(t *testing.T) {
	h := newHandler(t, playground.Config{Endpoint: endpoint})
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", h)
	mux.Handle("GET /playground/", h)
	for target, want := range map[string]int{
		"/":                     http.StatusOK,
		bootstrapURL:            http.StatusOK,
		"/playground/assets/x":  http.StatusNotFound,
		"/playground/elsewhere": http.StatusNotFound,
	} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			if w := serve(mux, method, target); w.Code != want {
				t.Errorf("%s %s: status %d, want %d", method, target, w.Code, want)
			}
		}
	}
}

var (
	endpointAttr = regexp.MustCompile(`data-endpoint="([^"]*)"`)
	queryAttr    = regexp.MustCompile(`data-default-query="([^"]*)"`)
)

func TestSettingsAreEscaped(t *testing.T) {
	const hostile = `/v1/graphql"><script>alert(1)</script><x a='`
	h := newHandler(t, playground.Config{Endpoint: hostile})
	page := getPage(t, h)
	if strings.Contains(page, "<script>alert") || strings.Contains(page, `"><script`) {
		t.Fatalf("endpoint not escaped:\n%s", page)
	}
	checkNoInlineScript(t, page)

	m := endpointAttr.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no data-endpoint attribute:\n%s", page)
	}
	if got := html.UnescapeString(m[1]); got != hostile {
		t.Errorf("data-endpoint decodes to %q, want %q", got, hostile)
	}
	m = queryAttr.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no data-default-query attribute:\n%s", page)
	}
	if got := html.UnescapeString(m[1]); got != playground.DefaultQuery {
		t.Errorf("data-default-query decodes to %q, want %q", got, playground.DefaultQuery)
	}
}

func TestNewRejectsCrossOriginEndpoint(t *testing.T) {
	for _, e := range []string{"", "v1/graphql", "https://api.example.com/graphql", "//evil.example/graphql", `/\evil.example`} {
		if _, err := playground.New(playground.Config{Endpoint: e}); err == nil {
			t.Errorf("New(Endpoint: %q) succeeded, want error", e)
		}
	}
}

func TestNewFailsOnIncompleteDir(t *testing.T) {
	files := playground.PinnedFiles()
	missingJS := "node_modules/" + files[len(files)-1].Package + "/" + files[len(files)-1].Path
	missingReact := "node_modules/" + files[0].Package + "/" + files[0].Path

	dir := t.TempDir()
	fillAssets(t, dir, missingJS, missingReact)
	_, err := playground.New(playground.Config{Endpoint: endpoint, AssetsDir: dir})
	if err == nil {
		t.Fatal("New succeeded with missing files")
	}
	msg := err.Error()
	for _, want := range []string{missingJS, missingReact, playground.InstallCommand(dir)} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	for _, f := range files[1 : len(files)-1] {
		if present := f.Path; strings.Contains(msg, present) {
			t.Errorf("error names present file %q:\n%s", present, msg)
		}
	}

	_, err = playground.New(playground.Config{Endpoint: endpoint, AssetsDir: filepath.Join(dir, "absent")})
	if err == nil {
		t.Fatal("New succeeded with absent dir")
	}
	for _, f := range files {
		if !strings.Contains(err.Error(), f.Path) {
			t.Errorf("error lacks %q:\n%s", f.Path, err)
		}
	}
}

func TestNewFailsOnOtherVersion(t *testing.T) {
	dir := t.TempDir()
	fillAssets(t, dir)
	f := playground.PinnedFiles()[len(playground.PinnedFiles())-1]
	manifest := filepath.Join(dir, "node_modules", f.Package, "package.json")
	if err := os.WriteFile(manifest, []byte(`{"version":"0.0.1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := playground.New(playground.Config{Endpoint: endpoint, AssetsDir: dir})
	if err == nil || !strings.Contains(err.Error(), "0.0.1") || !strings.Contains(err.Error(), "npm install") {
		t.Fatalf("New with %s@0.0.1: err = %v, want version mismatch and install command", f.Package, err)
	}
}

func TestInstallCommand(t *testing.T) {
	got := playground.InstallCommand("$PLAYGROUND_ASSETS_DIR")
	if !strings.HasPrefix(got, `npm install --no-save --prefix "$PLAYGROUND_ASSETS_DIR" graphiql@`) {
		t.Errorf("InstallCommand = %q", got)
	}
	seen := map[string]bool{}
	for _, f := range playground.PinnedFiles() {
		spec := " " + f.Package + "@" + f.Version
		if !seen[spec] && !strings.Contains(got+" ", spec+" ") {
			t.Errorf("InstallCommand = %q, lacks %s", got, spec)
		}
		seen[spec] = true
	}
	if got := playground.InstallCommand(`/a "b"/c`); !strings.Contains(got, `--prefix "/a \"b\"/c" `) {
		t.Errorf("InstallCommand quoting: %q", got)
	}
}

func TestIntegrityHashesWellFormed(t *testing.T) {
	seen := map[string]string{}
	for _, f := range playground.PinnedFiles() {
		b64, ok := strings.CutPrefix(f.Integrity, "sha384-")
		if !ok {
			t.Errorf("%s: integrity %q lacks sha384- prefix", f.CDNURL, f.Integrity)
			continue
		}
		sum, err := base64.StdEncoding.Strict().DecodeString(b64)
		if err != nil || len(sum) != 48 {
			t.Errorf("%s: integrity %q is not base64 of 48 bytes (%d bytes, err %v)", f.CDNURL, f.Integrity, len(sum), err)
		}
		if other, dup := seen[f.Integrity]; dup {
			t.Errorf("%s and %s share integrity %q", other, f.CDNURL, f.Integrity)
		}
		seen[f.Integrity] = f.CDNURL
	}
}
