// Package playground serves the GraphiQL IDE for Lectern's GraphQL API.
//
// GraphiQL's files come from the graphiql npm package at pinned versions,
// either from jsDelivr with Subresource Integrity or, for networks without
// internet access, from a local directory filled by the command that
// InstallCommand returns. The page itself runs no inline script, so it works
// under the strict Content-Security-Policy it sends.
package playground

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Config says where the GraphQL endpoint is and, optionally, where local assets live.
type Config struct {
	Endpoint  string // e.g. "/v1/graphql"
	AssetsDir string // empty: CDN with SRI; otherwise the --prefix dir of the npm command
}

// defaultQuery is what a first-time visitor sees in the editor.
const defaultQuery = `# Welcome to Lectern. Published courses are readable without an account.
query Catalogue {
  courses(first: 5, orderBy: [{field: PUBLISHED_AT, direction: DESC}]) {
    totalCount
    edges {
      cursor
      node {
        id
        slug
        title
        level
        ratingAverage
        tags { slug name }
        sections { title lessons { slug title readingMinutes } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`

// GraphiQL 3 needs 'unsafe-inline' styles: its dialogs lock scrolling by
// injecting a <style> element (react-remove-scroll).
const (
	cspLocal = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
		"connect-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	cspCDN = "default-src 'none'; script-src 'self' https://cdn.jsdelivr.net; " +
		"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; " +
		"connect-src 'self'; img-src 'self' data:; font-src 'self' data: https://cdn.jsdelivr.net; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

const (
	cacheForever = "public, max-age=31536000, immutable"
	// Files whose URL does not change with their content must be revalidated.
	cacheRevalidate = "no-cache"
)

//go:embed page.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

//go:embed static
var static embed.FS

// staticFiles are Lectern's own files, served in both modes.
var staticFiles = []string{"lectern-playground.css", "lectern-playground.js"}

// New returns a handler serving the page at "/" and assets under "/playground/assets/".
// It fails when the endpoint is not an absolute path on this origin, and when
// AssetsDir is set but incomplete; the error then lists the missing files and
// the npm command that fills the directory.
func New(cfg Config) (http.Handler, error) {
	if err := checkEndpoint(cfg.Endpoint); err != nil {
		return nil, err
	}
	h := &handler{files: make(map[string]file)}
	if err := h.addStatic(); err != nil {
		return nil, err
	}
	var p page
	if cfg.AssetsDir == "" {
		h.csp = cspCDN
		p = cdnPage()
	} else {
		h.csp = cspLocal
		if err := h.addLocal(cfg.AssetsDir); err != nil {
			return nil, err
		}
		p = localPage()
	}
	p.Endpoint, p.DefaultQuery = cfg.Endpoint, defaultQuery
	if err := h.addPage(p); err != nil {
		return nil, err
	}
	return h, nil
}

// checkEndpoint rejects endpoints the page's connect-src 'self' would block.
func checkEndpoint(endpoint string) error {
	if !strings.HasPrefix(endpoint, "/") || strings.HasPrefix(endpoint, "//") || strings.HasPrefix(endpoint, `/\`) {
		return fmt.Errorf("playground: endpoint %q must be a path on this origin, like /v1/graphql", endpoint)
	}
	return nil
}

// page is the data the page template renders.
type page struct {
	Stylesheets  []tag
	Scripts      []tag
	Endpoint     string
	DefaultQuery string
}

// tag is a stylesheet or script reference; Integrity is empty for same-origin files.
type tag struct {
	URL       string
	Integrity string
}

// cdnPage returns a page loading the pinned files from jsDelivr.
func cdnPage() page {
	return pinnedPage(func(p npmPackage, f npmFile) tag {
		return tag{URL: p.cdnURL(f), Integrity: f.integrity}
	})
}

// localPage returns a page loading the pinned files from this handler.
func localPage() page {
	return pinnedPage(func(p npmPackage, f npmFile) tag {
		return tag{URL: p.localURL(f)}
	})
}

// pinnedPage lists the pinned files, then Lectern's own, as tags.
func pinnedPage(ref func(npmPackage, npmFile) tag) page {
	var pg page
	for _, p := range pinned {
		for _, f := range p.files {
			pg.add(ref(p, f))
		}
	}
	for _, name := range staticFiles {
		pg.add(tag{URL: assetBase + name})
	}
	return pg
}

// add puts t among the stylesheets or the scripts, by its extension.
func (pg *page) add(t tag) {
	if path.Ext(t.URL) == ".css" {
		pg.Stylesheets = append(pg.Stylesheets, t)
	} else {
		pg.Scripts = append(pg.Scripts, t)
	}
}

// handler serves a fixed set of in-memory files by exact URL path. Looking
// paths up in a map, rather than joining them onto a directory, is what keeps
// requests from reaching any other file.
type handler struct {
	csp   string
	files map[string]file
}

// file is a response body with the headers that depend on it.
type file struct {
	body         []byte
	contentType  string
	cacheControl string
	etag         string
}

func newFile(body []byte, contentType, cacheControl string) file {
	sum := sha256.Sum256(body)
	return file{
		body:         body,
		contentType:  contentType,
		cacheControl: cacheControl,
		etag:         `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`,
	}
}

func (h *handler) addStatic() error {
	for _, name := range staticFiles {
		body, err := static.ReadFile("static/" + name)
		if err != nil {
			return fmt.Errorf("playground: %w", err)
		}
		h.files[assetBase+name] = newFile(body, contentType(name), cacheRevalidate)
	}
	return nil
}

func (h *handler) addLocal(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("playground: assets dir: %w", err)
	}
	files, err := readLocalAssets(abs)
	if err != nil {
		return fmt.Errorf("playground: %w", err)
	}
	for _, f := range files {
		h.files[f.url] = newFile(f.body, contentType(f.url), cacheForever)
	}
	return nil
}

func (h *handler) addPage(p page) error {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return fmt.Errorf("playground: render page: %w", err)
	}
	h.files["/"] = newFile(buf.Bytes(), "text/html; charset=utf-8", cacheRevalidate)
	return nil
}

// contentType is set explicitly because system MIME tables disagree about
// .js, and nosniff makes browsers strict about it.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	default:
		return "application/octet-stream"
	}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", h.csp)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	f, ok := h.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hdr.Set("Content-Type", f.contentType)
	hdr.Set("Cache-Control", f.cacheControl)
	hdr.Set("ETag", f.etag)
	// ServeContent handles HEAD, If-None-Match and ranges.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
