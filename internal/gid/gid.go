// Package gid encodes the global IDs clients see: opaque strings that carry
// the node's type and its random UUID, base64url-encoded. A client can pass
// them back but should not parse them; the encoding may change.
package gid

import (
	"bytes"
	"encoding/base64"
	"io"
	"strconv"

	"github.com/google/uuid"

	"lectern/internal/apperr"
)

// ID is a decoded global ID.
type ID struct {
	Type string
	UUID uuid.UUID
}

// New returns the global ID of the node of type typ with primary key id.
func New(typ string, id uuid.UUID) ID { return ID{Type: typ, UUID: id} }

// Is reports whether id names a node of type typ.
func (id ID) Is(typ string) bool { return id.Type == typ }

// Require returns nil when id names a node of type typ. An ID of any other
// type names nothing that could be a typ, so it is answered as an unknown
// one: the NOT_FOUND user error at field, the argument or input field the
// ID came in.
func (id ID) Require(typ, field string) error {
	if id.Is(typ) {
		return nil
	}
	return apperr.Problem(apperr.UserNotFound, "not found", field)
}

var encoding = base64.RawURLEncoding.Strict()

const maxTypeLen = 40

// String returns the encoded form: base64url("<Type>:" + 16 UUID bytes).
func (id ID) String() string {
	raw := make([]byte, 0, len(id.Type)+1+len(id.UUID))
	raw = append(raw, id.Type...)
	raw = append(raw, ':')
	raw = append(raw, id.UUID[:]...)
	return encoding.EncodeToString(raw)
}

// Parse decodes s. It fails with ErrMalformed when s is not a global ID this
// server could have issued; it does not check that the type or row exist.
func Parse(s string) (ID, error) {
	if len(s) == 0 || len(s) > 128 {
		return ID{}, ErrMalformed
	}
	raw, err := encoding.DecodeString(s)
	// The decoder skips line breaks; only the canonical spelling is an ID.
	if err != nil || encoding.EncodeToString(raw) != s {
		return ID{}, ErrMalformed
	}
	typ, key, found := bytes.Cut(raw, []byte{':'})
	if !found || !validType(typ) || len(key) != len(uuid.UUID{}) {
		return ID{}, ErrMalformed
	}
	u, err := uuid.FromBytes(key)
	if err != nil {
		return ID{}, ErrMalformed
	}
	return ID{Type: string(typ), UUID: u}, nil
}

// validType accepts GraphQL type names of plain ASCII letters.
func validType(b []byte) bool {
	if len(b) == 0 || len(b) > maxTypeLen || b[0] < 'A' || b[0] > 'Z' {
		return false
	}
	for _, c := range b {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// ErrMalformed is returned for strings that are not global IDs. Clients see
// it as BAD_USER_INPUT.
var ErrMalformed = apperr.New(apperr.BadUserInput, "malformed global ID")

// MarshalGQL writes the ID as a GraphQL string.
func (id ID) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(id.String()))
}

// UnmarshalGQL decodes a GraphQL ID input; it fails with ErrMalformed.
func (id *ID) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return ErrMalformed
	}
	parsed, err := Parse(s)
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}
