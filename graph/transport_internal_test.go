package graph

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strconv"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestWriteResponse: the response written is the JSON document
// json.Marshal makes of it, whatever parts it has, and null for none (a
// request whose client went away).
func TestWriteResponse(t *testing.T) {
	var none bytes.Buffer
	writeResponse(&none, nil)
	if none.String() != "null" {
		t.Errorf("no response: wrote %q, want null", none.String())
	}
	for name, resp := range map[string]*graphql.Response{
		"DataOnly":   {Data: json.RawMessage(`{"a":[1,"<b>&"],"c":null}`)},
		"NoData":     {},
		"NullData":   {Data: json.RawMessage(`null`), Errors: gqlerror.List{{Message: "no", Extensions: map[string]any{"code": "X"}}}},
		"Everything": {Data: json.RawMessage(`{"x":"\u00e9"}`), Errors: gqlerror.List{{Message: "partial"}}, Extensions: map[string]any{"debug": map[string]any{"n": 1}}},
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			writeResponse(&buf, resp)
			want, err := json.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			var got, exp any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, buf.Bytes())
			}
			_ = json.Unmarshal(want, &exp)
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("wrote %s\nwant  %s", buf.Bytes(), want)
			}
			// To an HTTP response, the length is declared, so the
			// answer is not chunked.
			rec := httptest.NewRecorder()
			writeResponse(rec, resp)
			if n := rec.Header().Get("Content-Length"); n != strconv.Itoa(rec.Body.Len()) || rec.Body.Len() != buf.Len() {
				t.Errorf("Content-Length %q for %d bytes", n, rec.Body.Len())
			}
		})
	}
}
