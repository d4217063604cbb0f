package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"lectern/internal/apperr"
	"lectern/internal/bufpool"
	"lectern/internal/idempotency"
)

// Errors of DecodeRequest. Neither quotes the body, which may hold
// passwords in its variables.
var (
	ErrNotJSON   = errors.New("the request body is not valid JSON")
	ErrBodyShape = errors.New("the request body must be one JSON object with query (string) and optional operationName (string), variables (object) and extensions (object); batches are not accepted")
)

// DecodeRequest decodes a GraphQL-over-HTTP POST body, once: the HTTP layer
// calls it to refuse bad bodies before anything else reads them, and hands
// the result to the GraphQL transport with WithRequest, so a body as large
// as the limit allows is scanned twice (syntax, then values) rather than
// once per layer. Numbers stay json.Number, as gqlgen expects.
func DecodeRequest(body []byte) (*graphql.RawParams, error) {
	var b struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
		Extensions    map[string]any `json:"extensions"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil {
		if _, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			return nil, ErrBodyShape
		}
		return nil, ErrNotJSON
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, ErrNotJSON
	}
	return &graphql.RawParams{Query: b.Query, OperationName: b.OperationName, Variables: b.Variables, Extensions: b.Extensions}, nil
}

type requestKey struct{}

// WithRequest returns ctx carrying a body decoded by DecodeRequest.
func WithRequest(ctx context.Context, p *graphql.RawParams) context.Context {
	return context.WithValue(ctx, requestKey{}, p)
}

// post is the POST transport: it executes the body DecodeRequest decoded
// (decoding it here when the request did not come through the HTTP layer)
// and answers in JSON. A mutation sent with an Idempotency-Key runs through
// idem, once per key.
type post struct{ idem *idempotency.Service }

func (post) Supports(r *http.Request) bool { return r.Method == http.MethodPost }

func (t post) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	w.Header().Set("Content-Type", "application/json")
	params, ok := ctx.Value(requestKey{}).(*graphql.RawParams)
	if !ok {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			params, err = DecodeRequest(body)
		}
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			refusal := apperr.Wrap(err, apperr.BadUserInput, err.Error())
			writeResponse(w, exec.DispatchError(ctx, gqlerror.List{{Message: refusal.Message, Err: refusal}}))
			return
		}
	}
	start := graphql.Now()
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: start}
	oc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		w.WriteHeader(statusFor(errs))
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs))
		return
	}
	run := func(ctx context.Context, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		ctx, release := withDataBuffer(ctx)
		defer release()
		responses, ctx := exec.DispatchOperation(ctx, oc)
		writeResponse(w, responses(ctx))
	}
	// Refusals before execution (parse, validation, limits) are never
	// stored, so the client can fix the request and keep its key; a key
	// on a query is ignored.
	key, keyed := idempotency.KeyFrom(ctx)
	if !keyed || t.idem == nil || oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		run(ctx, w)
		return
	}
	fp, err := idempotency.Fingerprint(params.OperationName, params.Query, params.Variables)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		refusal := apperr.Wrap(err, apperr.BadUserInput, "the variables cannot be read")
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{{Message: refusal.Message, Err: refusal}}))
		return
	}
	t.idem.Run(w, r, key, fp, run)
}

// statusFor is gqlgen's status for a document refused before execution:
// 422 for parse and validation failures, 200 otherwise.
func statusFor(errs gqlerror.List) int {
	if errcode.GetErrorKind(errs) == errcode.KindProtocol {
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
}

// writeResponse writes resp as json.Marshal would, but copies the data,
// which gqlgen has already marshalled, as it is: json.Marshal validates
// and compacts a json.RawMessage byte by byte, a twentieth of the CPU a
// nested page costs. Only the small parts around it (errors, extensions)
// go through json.Marshal. This transport never streams, so a response has
// no label, path or hasNext.
//
// It declares the length to an http.ResponseWriter whose header is not yet
// sent: without it an answer over 2 KB is chunked, which costs the client
// the size up front and the server a write to the socket for the closing
// chunk alone. It makes the response in a pooled buffer (internal/bufpool),
// given back once written.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp == nil { // the client went away before the response was made
		_, _ = w.Write([]byte("null"))
		return
	}
	out := bufpool.Get()
	defer bufpool.Put(out)
	out.Grow(len(resp.Data) + 64)
	buf := append(out.AvailableBuffer(), '{')
	if len(resp.Errors) > 0 {
		buf = appendMember(buf, "errors", resp.Errors)
		buf = append(buf, ',')
	}
	buf = append(buf, `"data":`...)
	if len(resp.Data) == 0 {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, resp.Data...)
	}
	if len(resp.Extensions) > 0 {
		buf = append(buf, ',')
		buf = appendMember(buf, "extensions", resp.Extensions)
	}
	buf = append(buf, '}')
	if rw, ok := w.(http.ResponseWriter); ok {
		rw.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	}
	_, _ = w.Write(buf)
}

// appendMember appends "name":value to buf.
func appendMember(buf []byte, name string, value any) []byte {
	b, err := json.Marshal(value)
	if err != nil {
		panic(err)
	}
	buf = append(buf, '"')
	buf = append(buf, name...)
	buf = append(buf, `":`...)
	return append(buf, b...)
}
