package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"lectern/ent"
	"lectern/ent/idempotencykey"
	"lectern/internal/apperr"
	"lectern/internal/database"
	"lectern/internal/obs"
	"lectern/internal/sealed"
	"lectern/internal/viewer"
)

// TTL is how long an answer is kept for retries.
const TTL = 24 * time.Hour

// retryAfter is what IDEMPOTENCY_IN_PROGRESS tells the client to wait:
// mutations answer within the request timeout, most in milliseconds.
const retryAfter = time.Second

// Service runs keyed mutation requests once and replays their answers.
type Service struct {
	db     *database.DB
	keys   *sealed.Keyring
	now    func() time.Time
	logger *slog.Logger

	mu      sync.Mutex
	running map[string]bool
}

// New returns a Service over db. Stored answers are sealed with keys (they
// may hold a new API token or a session cookie); with nil keys they are
// stored as they are, which only tests should do.
func New(db *database.DB, keys *sealed.Keyring, logger *slog.Logger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, keys: keys, now: now, logger: logger, running: map[string]bool{}}
}

// Run answers a mutation request that carries key, whose fingerprint is
// fp: by replaying the stored answer of the same request; by refusing a
// key used for another request (422 IDEMPOTENCY_KEY_REUSED) or still
// running (409 IDEMPOTENCY_IN_PROGRESS, Retry-After); or by calling exec
// in one transaction (database.RequestTx) with the answer it writes, which
// is stored in that transaction before being sent. An answer reporting
// INTERNAL or UNAVAILABLE is not stored: everything exec wrote is rolled
// back, the client gets that error for the whole request, and may retry
// with the same key. RATE_LIMITED is an answer like the others: what a
// throttle counted (failed sign-ins, the block's audit record) must stay,
// and so must the answer that goes with it.
func (s *Service) Run(w http.ResponseWriter, r *http.Request, key, fp string, exec func(ctx context.Context, w http.ResponseWriter)) {
	ctx := r.Context()
	scope, userID := scopeOf(ctx)
	if !s.claim(scope, key) {
		s.inProgress(w, r)
		return
	}
	defer s.release(scope, key)
	if rec, err := s.find(ctx, scope, key); err != nil {
		s.fail(w, r, err)
		return
	} else if rec != nil {
		s.answer(w, r, rec, fp)
		return
	}
	txCtx, rt, err := s.db.BeginRequest(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer func() { _ = rt.Rollback() }() // after Commit, a no-op
	if ok, err := s.lock(txCtx, scope, key); err != nil || !ok {
		if err != nil {
			s.fail(w, r, err)
		} else {
			s.inProgress(w, r)
		}
		return
	}
	// Another instance may have finished the request between find and lock.
	if rec, err := s.find(txCtx, scope, key); err != nil || rec != nil {
		if err != nil {
			s.fail(w, r, err)
		} else {
			s.answer(w, r, rec, fp)
		}
		return
	}
	cookiesBefore := slices.Clone(w.Header().Values("Set-Cookie"))
	rec := newRecorder()
	exec(txCtx, rec)
	if failure, retry := retryable(rec.body.Bytes()); failure != nil {
		_ = rt.Rollback()
		s.refuse(w, failure, retry)
		return
	}
	resp := response{Status: rec.status, Header: flatten(rec.header), Body: rec.body.Bytes(),
		Cookies: newCookies(cookiesBefore, w.Header().Values("Set-Cookie"))}
	if err := s.store(txCtx, scope, key, fp, userID, resp); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := rt.Commit(); err != nil {
		s.fail(w, r, err)
		return
	}
	resp.write(w, false)
}

// scopeOf returns whose keys a request's key is among: the signed-in
// user's (with an API token, its user's), or for anonymous requests those
// sent from the same client address, which is kept only as a hash.
func scopeOf(ctx context.Context) (string, *viewer.Viewer) {
	if v, ok := viewer.FromContext(ctx); ok && !v.IsSystem() {
		return "user:" + v.UserID.String(), &v
	}
	sum := sha256.Sum256([]byte(viewer.ClientFrom(ctx).Addr))
	return "anon:" + hex.EncodeToString(sum[:16]), nil
}

// claim marks scope's key running in this process, or reports that it
// already is; release ends that.
func (s *Service) claim(scope, key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := scope + "\x00" + key
	if s.running[id] {
		return false
	}
	s.running[id] = true
	return true
}

func (s *Service) release(scope, key string) {
	s.mu.Lock()
	delete(s.running, scope+"\x00"+key)
	s.mu.Unlock()
}

// lock takes the key for the transaction in ctx across every process on
// the database: on PostgreSQL a transaction-scoped advisory lock on a hash
// of the key, which another instance fails to take while this request
// runs. SQLite has one writer at a time, which BeginRequest already holds.
func (s *Service) lock(ctx context.Context, scope, key string) (bool, error) {
	if s.db.Dialect != database.Postgres {
		return true, nil
	}
	sum := sha256.Sum256([]byte("idempotency\x00" + scope + "\x00" + key))
	var ok bool
	err := s.db.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", int64(binary.BigEndian.Uint64(sum[:8]))).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("idempotency lock: %w", err)
	}
	return ok, nil
}

// find returns the live stored answer for scope's key, or nil.
func (s *Service) find(ctx context.Context, scope, key string) (*ent.IdempotencyKey, error) {
	rec, err := s.db.System().IdempotencyKey.Query().
		Where(idempotencykey.Scope(scope), idempotencykey.Key(key), idempotencykey.ExpiresAtGT(s.now())).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("idempotency lookup: %w", err)
	}
	return rec, nil
}

// answer replays rec when it answers the request fingerprinted fp, and
// refuses the key otherwise.
func (s *Service) answer(w http.ResponseWriter, r *http.Request, rec *ent.IdempotencyKey, fp string) {
	if rec.Fingerprint != fp {
		writeRefusal(w, r, http.StatusUnprocessableEntity, apperr.IdempotencyKeyReused,
			"this Idempotency-Key was used with a different request; use a new key for a new request")
		return
	}
	resp, err := s.open(rec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp.write(w, true)
}

func (s *Service) inProgress(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", strconv.Itoa(obs.RetryAfterSeconds(retryAfter)))
	writeRefusal(w, r, http.StatusConflict, apperr.IdempotencyInProgress,
		"a request with this Idempotency-Key is still running; retry after a moment")
}

// fail answers a request whose key could not be handled: nothing it sent
// ran, or what ran was rolled back, so the same key may be used again.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.logger.ErrorContext(r.Context(), "idempotent request", slog.Any("error", err))
	code, status := apperr.Internal, http.StatusInternalServerError
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		code, status = apperr.Unavailable, http.StatusServiceUnavailable
	}
	writeRefusal(w, r, status, code, "the request could not be completed and nothing was changed; retry with the same Idempotency-Key")
}

// writeRefusal writes the API's error shape for a request-level refusal,
// as application/graphql-response+json when the client accepts it (the
// media type whose non-200 statuses the GraphQL-over-HTTP spec defines),
// else as application/json.
func writeRefusal(w http.ResponseWriter, r *http.Request, status int, code apperr.Code, msg string) {
	ext := map[string]any{"code": code, "requestId": obs.RequestIDFromContext(r.Context())}
	if code == apperr.IdempotencyInProgress {
		ext["retryAfterSeconds"] = obs.RetryAfterSeconds(retryAfter)
	}
	body, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": ext}}})
	w.Header().Set("Content-Type", mediaType(r))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// mediaType returns the response media type a request accepts.
func mediaType(r *http.Request) string {
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(mt), graphQLResponse) {
				return graphQLResponse
			}
		}
	}
	return "application/json"
}

const graphQLResponse = "application/graphql-response+json"

// retryable returns the first error of an answer that must not be stored,
// because the server failed and a retry could succeed: INTERNAL or
// UNAVAILABLE. A body that is not a GraphQL response counts as INTERNAL.
func retryable(body []byte) (json.RawMessage, int) {
	var resp struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return json.RawMessage(`{"message":"internal error","extensions":{"code":"INTERNAL"}}`), 0
	}
	for _, raw := range resp.Errors {
		var e struct {
			Extensions struct {
				Code              apperr.Code `json:"code"`
				RetryAfterSeconds int         `json:"retryAfterSeconds"`
			} `json:"extensions"`
		}
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		switch e.Extensions.Code {
		case apperr.Internal, apperr.Unavailable:
			return raw, e.Extensions.RetryAfterSeconds
		}
	}
	return nil, 0
}

// refuse answers a request whose effects were rolled back with the error
// that made them so, for the whole request: data is null, since nothing
// the document asked for was done.
func (s *Service) refuse(w http.ResponseWriter, failure json.RawMessage, retryAfter int) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprintf(w, `{"errors":[%s],"data":null}`, failure)
}

// store writes the answer in the request's transaction, replacing an
// expired record of the same key that the purge has not reached yet.
func (s *Service) store(ctx context.Context, scope, key, fp string, v *viewer.Viewer, resp response) error {
	now := s.now()
	sys := s.db.System()
	if _, err := sys.IdempotencyKey.Delete().
		Where(idempotencykey.Scope(scope), idempotencykey.Key(key), idempotencykey.ExpiresAtLTE(now)).
		Exec(ctx); err != nil {
		return fmt.Errorf("idempotency store: %w", err)
	}
	body, err := s.seal(scope, key, resp)
	if err != nil {
		return err
	}
	c := sys.IdempotencyKey.Create().SetScope(scope).SetKey(key).SetFingerprint(fp).
		SetResponseStatus(resp.Status).SetResponseHeaders(resp.Header).SetResponseBody(body).
		SetCreatedAt(now).SetExpiresAt(now.Add(TTL))
	if v != nil {
		c.SetUserID(v.UserID)
	}
	if err := c.Exec(ctx); err != nil {
		return fmt.Errorf("idempotency store: %w", err)
	}
	return nil
}

// sealedPart is what a stored answer keeps sealed: its body (a new API
// token, say) and the cookies it set (a session).
type sealedPart struct {
	Body    []byte   `json:"b"`
	Cookies []string `json:"c,omitempty"`
}

func (s *Service) seal(scope, key string, resp response) ([]byte, error) {
	plain, err := json.Marshal(sealedPart{Body: resp.Body, Cookies: resp.Cookies})
	if err != nil {
		return nil, fmt.Errorf("idempotency seal: %w", err)
	}
	if s.keys == nil {
		return plain, nil
	}
	return []byte(s.keys.Seal(plain, associated(scope, key))), nil
}

func (s *Service) open(rec *ent.IdempotencyKey) (response, error) {
	plain := rec.ResponseBody
	if sealed.IsSealed(string(plain)) {
		if s.keys == nil {
			return response{}, errors.New("idempotency: a stored answer is sealed and no keys are configured")
		}
		var err error
		if plain, err = s.keys.Open(string(plain), associated(rec.Scope, rec.Key)); err != nil {
			return response{}, fmt.Errorf("idempotency open: %w", err)
		}
	}
	var part sealedPart
	if err := json.Unmarshal(plain, &part); err != nil {
		return response{}, fmt.Errorf("idempotency open: %w", err)
	}
	return response{Status: rec.ResponseStatus, Header: rec.ResponseHeaders, Body: part.Body, Cookies: part.Cookies}, nil
}

// associated binds a sealed answer to its key: moved to another row, it
// does not open.
func associated(scope, key string) []byte { return []byte("idempotency\x00" + scope + "\x00" + key) }

// Cleanup deletes the answers whose retry window has passed (the hourly
// cleanup job runs it), returning how many went.
func (s *Service) Cleanup(ctx context.Context) (map[string]int, error) {
	n, err := s.db.System().IdempotencyKey.Delete().Where(idempotencykey.ExpiresAtLTE(s.now())).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("idempotency cleanup: %w", err)
	}
	return map[string]int{"idempotency_keys": n}, nil
}

// response is an answer as sent: status, the headers the GraphQL handler
// set, the body, and the cookies set while it ran.
type response struct {
	Status  int
	Header  map[string]string
	Body    []byte
	Cookies []string
}

func (resp response) write(w http.ResponseWriter, replayed bool) {
	h := w.Header()
	for k, v := range resp.Header {
		h.Set(k, v)
	}
	if replayed {
		for _, c := range resp.Cookies {
			h.Add("Set-Cookie", c)
		}
		h.Set(ReplayedHeader, "true")
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// flatten keeps one value per header, joining repeated ones as HTTP allows.
func flatten(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// newCookies returns the Set-Cookie lines in after that were not in before.
func newCookies(before, after []string) []string {
	var added []string
	for _, c := range after {
		if !slices.Contains(before, c) {
			added = append(added, c)
		}
	}
	return added
}

// recorder keeps the GraphQL handler's answer until it is stored.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wrote = true
	return r.body.Write(p)
}
