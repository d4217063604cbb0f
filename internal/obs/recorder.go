package obs

import "net/http"

// recorder remembers the status and body size for the access log and whether
// anything reached the client, which decides if Recover may still send a 500.
// It implements Flush directly because streaming transports type-assert
// http.Flusher, and Unwrap so http.ResponseController reaches the rest
// (Hijack, deadlines, full-duplex).
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// wrap reuses a recorder from an outer middleware so stacking AccessLog and
// Recover adds one layer, not two.
func wrap(w http.ResponseWriter) *recorder {
	if rec, ok := w.(*recorder); ok {
		return rec
	}
	return &recorder{ResponseWriter: w}
}

func (r *recorder) WriteHeader(code int) {
	// 1xx responses other than 101 are informational and followed by the
	// real status, so they must not count as "headers sent".
	if r.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Flush sends headers with an implicit 200 when none were written, matching
// what the underlying writer does.
func (r *recorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *recorder) Unwrap() http.ResponseWriter {
	return r.ResponseWriter
}

func (r *recorder) written() bool {
	return r.status != 0
}

// statusOrOK reports what net/http sends when a handler returns without
// writing: 200 with an empty body.
func (r *recorder) statusOrOK() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
