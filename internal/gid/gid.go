// Package gid encodes the global IDs clients see: opaque strings that carry
// the node's type and its key, base64url-encoded. Most types are keyed by a
// random UUID; the few in IntKeyed by a positive 64-bit integer another
// system assigns (River's job IDs). A client can pass them back but should
// not parse them; the encoding may change.
package gid

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"io"
	"strconv"

	"github.com/google/uuid"

	"lectern/internal/apperr"
)

// ID is a decoded global ID. Exactly one key is set: Int for the types
// IntKeyed lists, UUID for every other type.
type ID struct {
	Type string
	UUID uuid.UUID
	Int  int64
}

// Job is the type of a background job's ID, keyed by River's int64 ID.
const Job = "Job"

// IntKeyed reports whether IDs of type typ carry an int64 key (Int)
// rather than a UUID. The list is fixed here, so that Parse can refuse a
// key of the wrong kind for its type: every ID has one spelling.
func IntKeyed(typ string) bool { return typ == Job }

// New returns the global ID of the node of type typ with primary key id.
func New(typ string, id uuid.UUID) ID { return ID{Type: typ, UUID: id} }

// NewInt returns the global ID of the object of type typ (one IntKeyed
// lists) with integer key n.
func NewInt(typ string, n int64) ID { return ID{Type: typ, Int: n} }

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

const (
	maxTypeLen = 40
	intKeyLen  = 8
)

// String returns the encoded form: base64url("<Type>:" + key), the key
// being the 16 UUID bytes, or for an IntKeyed type the 8 big-endian bytes
// of Int.
func (id ID) String() string {
	raw := make([]byte, 0, len(id.Type)+1+len(id.UUID))
	raw = append(raw, id.Type...)
	raw = append(raw, ':')
	if IntKeyed(id.Type) {
		raw = binary.BigEndian.AppendUint64(raw, uint64(id.Int))
	} else {
		raw = append(raw, id.UUID[:]...)
	}
	return encoding.EncodeToString(raw)
}

// Parse decodes s. It fails with ErrMalformed when s is not a global ID this
// server could have issued (an integer key must be positive, and each type
// takes one kind of key); it does not check that the type or row exist.
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
	if !found || !validType(typ) {
		return ID{}, ErrMalformed
	}
	if IntKeyed(string(typ)) {
		return parseInt(string(typ), key)
	}
	if len(key) != len(uuid.UUID{}) {
		return ID{}, ErrMalformed
	}
	u, err := uuid.FromBytes(key)
	if err != nil {
		return ID{}, ErrMalformed
	}
	return ID{Type: string(typ), UUID: u}, nil
}

// parseInt reads the key of an IntKeyed type: 8 bytes, a positive int64
// (River numbers jobs from 1).
func parseInt(typ string, key []byte) (ID, error) {
	if len(key) != intKeyLen {
		return ID{}, ErrMalformed
	}
	n := int64(binary.BigEndian.Uint64(key))
	if n <= 0 {
		return ID{}, ErrMalformed
	}
	return ID{Type: typ, Int: n}, nil
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
