package storage

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// FileHandler serves the file store's signed URLs:
//
//	PUT /v1/files/{key...}  stores the body, which must have the signed
//	                        Content-Type and exactly the signed size
//	GET /v1/files/{key...}  streams the object (HEAD and ranges too)
//
// It answers 403 to a URL that is tampered with, expired or used with the
// wrong method; 400 to a body of the wrong type or too short; 413, keeping
// nothing, to one too long; 412 when the key already holds an object; and
// 404 when a GET finds none. Paths are matched from "/v1/files/", so a
// router mounting it below a prefix must strip that prefix. On an S3 store,
// whose URLs point at S3, it answers 404 to everything.
func (s *Store) FileHandler() http.Handler {
	if s.signer == nil {
		return http.NotFoundHandler()
	}
	return http.HandlerFunc(s.serveFile)
}

// serveFile routes by hand rather than through http.ServeMux, which would
// answer an unclean path ("a/../b") with a redirect to another key instead
// of refusing it.
func (s *Store) serveFile(w http.ResponseWriter, r *http.Request) {
	key, ok := strings.CutPrefix(r.URL.Path, fileRoute)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodPut:
		s.servePut(w, r, key)
	case http.MethodGet, http.MethodHead:
		s.serveGet(w, r, key)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		plain(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

func (s *Store) servePut(w http.ResponseWriter, r *http.Request, key string) {
	g, err := s.verify(http.MethodPut, key, r.URL.Query())
	if err != nil {
		plain(w, http.StatusForbidden, "forbidden")
		return
	}
	if r.Header.Get("Content-Type") != g.contentType {
		plain(w, http.StatusBadRequest, "Content-Type differs from the signed one")
		return
	}
	// A declared length settles the size before any byte is read; a
	// chunked body is held to the signed size while it streams.
	switch {
	case r.ContentLength > g.size:
		plain(w, http.StatusRequestEntityTooLarge, "body is larger than the signed size")
		return
	case r.ContentLength >= 0 && r.ContentLength < g.size:
		plain(w, http.StatusBadRequest, "body is smaller than the signed size")
		return
	}
	body := http.MaxBytesReader(w, r.Body, g.size)
	_, err = s.write(r.Context(), key, body, g.contentType, g.size, true)
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		w.WriteHeader(http.StatusOK)
	case errors.As(err, &tooLarge), errors.Is(err, errTooLarge):
		plain(w, http.StatusRequestEntityTooLarge, "body is larger than the signed size")
	case errors.Is(err, errTooSmall), errors.Is(err, errBodyRead):
		plain(w, http.StatusBadRequest, "body is smaller than the signed size or was cut off")
	case errors.Is(err, ErrExists):
		plain(w, http.StatusPreconditionFailed, "an object already has this key")
	case r.Context().Err() != nil:
		// The client is gone; there is nobody to answer.
	default:
		s.log.ErrorContext(r.Context(), "storage: upload failed", "key", key, "err", err)
		plain(w, http.StatusInternalServerError, "upload failed")
	}
}

func (s *Store) serveGet(w http.ResponseWriter, r *http.Request, key string) {
	g, err := s.verify(http.MethodGet, key, r.URL.Query())
	if err != nil {
		plain(w, http.StatusForbidden, "forbidden")
		return
	}
	rd, err := s.bucket.NewReader(r.Context(), key, nil)
	if err != nil {
		if errors.Is(mapError(err), ErrNotFound) {
			plain(w, http.StatusNotFound, "not found")
			return
		}
		s.log.ErrorContext(r.Context(), "storage: download failed", "key", key, "err", err)
		plain(w, http.StatusInternalServerError, "download failed")
		return
	}
	defer rd.Close()
	h := w.Header()
	ct := rd.ContentType()
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", DispositionHeader(g.disposition()))
	h.Set("X-Content-Type-Options", "nosniff")
	// The object is served from Lectern's own origin, so an uploaded page
	// or SVG must never run script or post a form there, and its links
	// must not carry the signed URL away in a Referer. A sandbox would be
	// stricter but stops Chrome from showing PDFs inline.
	h.Set("Content-Security-Policy", "script-src 'none'; object-src 'self'; base-uri 'none'; form-action 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	// A browser may keep the response only while the URL is valid.
	maxAge := max(int64(g.expires.Sub(s.now()).Seconds()), 0)
	h.Set("Cache-Control", "private, max-age="+strconv.FormatInt(maxAge, 10))
	http.ServeContent(w, r, "", rd.ModTime(), rd)
}

// plain answers with a short text body that names no key, path or reason
// beyond the status, so a prober learns nothing from it.
func plain(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}
