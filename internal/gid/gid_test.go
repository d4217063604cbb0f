package gid_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/uuid"

	"lectern/internal/apperr"
	"lectern/internal/gid"
)

var key = uuid.MustParse("3f2504e0-4f89-41d3-9a0c-0305e82c3301")

// encode builds a candidate ID from raw bytes the way the package documents
// it: base64url without padding.
func encode(raw string) string { return base64.RawURLEncoding.EncodeToString([]byte(raw)) }

func TestString(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   gid.ID
		want string
	}{
		{"Course", gid.New("Course", key), encode("Course:" + string(key[:]))},
		{"FAQEntry", gid.New("FAQEntry", key), encode("FAQEntry:" + string(key[:]))},
		{"ZeroKey", gid.New("User", uuid.UUID{}), encode("User:" + string(make([]byte, 16)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.id.String()
			if got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if strings.ContainsAny(got, "+/=") {
				t.Errorf("String() = %q is not unpadded base64url", got)
			}
			if strings.Contains(got, tc.id.Type) || strings.Contains(got, key.String()) {
				t.Errorf("String() = %q shows the type or key in clear", got)
			}
		})
	}
}

func TestParse(t *testing.T) {
	t.Run("AcceptsWhatStringProduces", func(t *testing.T) {
		for _, id := range []gid.ID{
			gid.New("Course", key),
			gid.New("LessonProgress", uuid.New()),
			gid.New("A", uuid.New()),
			gid.New(strings.Repeat("Z", 40), uuid.New()),
			gid.New("User", uuid.UUID{}),
			gid.New("Tag", uuid.UUID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
		} {
			got, err := gid.Parse(id.String())
			if err != nil {
				t.Errorf("Parse(%q) for %+v: %v", id.String(), id, err)
				continue
			}
			if got != id {
				t.Errorf("Parse(String(%+v)) = %+v", id, got)
			}
		}
	})

	t.Run("RejectsMalformed", func(t *testing.T) {
		valid := gid.New("Course", key).String()
		for _, tc := range []struct{ name, in string }{
			{"Empty", ""},
			{"RandomText", "not an id"},
			{"UUIDText", key.String()},
			{"Integer", "42"},
			{"TooLong", strings.Repeat("A", 129)},
			{"StandardAlphabet", base64.RawStdEncoding.EncodeToString([]byte("Course:" + string([]byte{0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb})))},
			{"Padded", base64.URLEncoding.EncodeToString([]byte("Course:" + string(key[:])))},
			{"NoColon", encode("Course" + string(key[:]))},
			{"EmptyType", encode(":" + string(key[:]))},
			{"LowerCaseType", encode("course:" + string(key[:]))},
			{"DigitInType", encode("Course2:" + string(key[:]))},
			{"SpaceInType", encode("Co urse:" + string(key[:]))},
			{"NonASCIIType", encode("Cöurse:" + string(key[:]))},
			{"TypeOver40", encode(strings.Repeat("A", 41) + ":" + string(key[:]))},
			{"KeyTooShort", encode("Course:" + string(key[:15]))},
			{"KeyTooLong", encode("Course:" + string(key[:]) + "x")},
			{"KeyAsText", encode("Course:" + key.String())},
			{"TrailingBitsSet", valid[:len(valid)-1] + string(valid[len(valid)-1]+1)},
			{"TrailingNewline", valid + "\n"},
			{"EmbeddedNewline", valid[:8] + "\n" + valid[8:]},
			{"EmbeddedCarriageReturn", valid[:8] + "\r" + valid[8:]},
			{"LeadingSpace", " " + valid},
			{"Truncated", valid[:len(valid)-2]},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id, err := gid.Parse(tc.in)
				if err == nil {
					t.Fatalf("Parse(%q) = %+v, want an error", tc.in, id)
				}
				if !errors.Is(err, gid.ErrMalformed) {
					t.Errorf("Parse(%q) error = %v, want ErrMalformed", tc.in, err)
				}
				if apperr.CodeOf(err) != apperr.BadUserInput {
					t.Errorf("Parse(%q) error code = %s, want BAD_USER_INPUT", tc.in, apperr.CodeOf(err))
				}
			})
		}
	})
}

func TestGraphQLScalar(t *testing.T) {
	id := gid.New("Course", key)
	var buf bytes.Buffer
	id.MarshalGQL(&buf)
	if want := `"` + id.String() + `"`; buf.String() != want {
		t.Errorf("MarshalGQL wrote %s, want %s", buf.String(), want)
	}

	var got gid.ID
	if err := got.UnmarshalGQL(id.String()); err != nil || got != id {
		t.Errorf("UnmarshalGQL(%q) = %+v, %v", id.String(), got, err)
	}
	for _, v := range []any{42, nil, []byte(id.String()), "nope"} {
		var out gid.ID
		if err := out.UnmarshalGQL(v); !errors.Is(err, gid.ErrMalformed) {
			t.Errorf("UnmarshalGQL(%#v) error = %v, want ErrMalformed", v, err)
		}
		if out != (gid.ID{}) {
			t.Errorf("UnmarshalGQL(%#v) changed the ID to %+v", v, out)
		}
	}
}

// FuzzParse: Parse never panics, fails only with ErrMalformed, and accepts
// only canonical strings: anything it accepts encodes back to exactly the
// input, so every ID has one spelling.
func FuzzParse(f *testing.F) {
	valid := gid.New("Course", key).String()
	for _, s := range []string{
		valid,
		gid.New("LessonProgress", uuid.UUID{}).String(),
		"",
		"not an id",
		key.String(),
		base64.URLEncoding.EncodeToString([]byte("Course:" + string(key[:]))),
		encode("course:" + string(key[:])),
		encode(":"),
		strings.Repeat("A", 200),
		gid.NewInt(gid.Job, 1).String(),
		gid.NewInt(gid.Job, math.MaxInt64).String(),
		encode("Job:" + string(key[:])),
		encode("Job:" + intKey(-1)),
		encode("Course:" + intKey(7)),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := gid.Parse(s)
		if err != nil {
			if !errors.Is(err, gid.ErrMalformed) {
				t.Fatalf("Parse(%q) error %v is not ErrMalformed", s, err)
			}
			return
		}
		if got := id.String(); got != s {
			t.Fatalf("Parse(%q) accepted a non-canonical ID: it encodes back as %q", s, got)
		}
		again, err := gid.Parse(id.String())
		if err != nil || again != id {
			t.Fatalf("Parse(String(%+v)) = %+v, %v", id, again, err)
		}
		if id.Type == "" || id.Type[0] < 'A' || id.Type[0] > 'Z' {
			t.Fatalf("Parse(%q) accepted type %q", s, id.Type)
		}
		if gid.IntKeyed(id.Type) {
			if id.Int <= 0 || id.UUID != (uuid.UUID{}) {
				t.Fatalf("Parse(%q) = %+v: an integer-keyed type needs a positive Int and no UUID", s, id)
			}
		} else if id.Int != 0 {
			t.Fatalf("Parse(%q) = %+v: a UUID-keyed type with an Int", s, id)
		}
	})
}

// intKey is the 8-byte big-endian key of an integer-keyed ID.
func intKey(n int64) string { return string(binary.BigEndian.AppendUint64(nil, uint64(n))) }

// TestIntKeyed covers the IDs of types keyed by an integer (jobs): one
// spelling each, positive keys only, and no mixing with UUID keys.
func TestIntKeyed(t *testing.T) {
	t.Run("RoundTrips", func(t *testing.T) {
		for _, n := range []int64{1, 2, 255, 256, 1 << 31, math.MaxInt64} {
			id := gid.NewInt(gid.Job, n)
			s := id.String()
			if want := encode("Job:" + intKey(n)); s != want {
				t.Errorf("String(%d) = %q, want %q", n, s, want)
			}
			got, err := gid.Parse(s)
			if err != nil || got != id {
				t.Errorf("Parse(String(%d)) = %+v, %v", n, got, err)
			}
			if !got.Is(gid.Job) || got.Require(gid.Job, "id") != nil {
				t.Errorf("Parse(String(%d)) = %+v is not a Job", n, got)
			}
			if strings.Contains(s, "Job") {
				t.Errorf("String(%d) = %q shows the type in clear", n, s)
			}
		}
	})
	t.Run("RejectsMalformed", func(t *testing.T) {
		for _, tc := range []struct{ name, in string }{
			{"Zero", encode("Job:" + intKey(0))},
			{"Negative", encode("Job:" + intKey(-1))},
			{"MinInt", encode("Job:" + intKey(math.MinInt64))},
			{"KeyTooShort", encode("Job:" + intKey(7)[:7])},
			{"KeyTooLong", encode("Job:" + intKey(7) + "\x00")},
			{"UUIDKey", encode("Job:" + string(key[:]))},
			{"DecimalText", encode("Job:42")},
			{"IntKeyOnUUIDType", encode("Course:" + intKey(7))},
			{"LowerCaseType", encode("job:" + intKey(7))},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id, err := gid.Parse(tc.in)
				if !errors.Is(err, gid.ErrMalformed) {
					t.Fatalf("Parse(%q) = %+v, %v; want ErrMalformed", tc.in, id, err)
				}
			})
		}
	})
	t.Run("OtherTypesAreNotFoundAsJobs", func(t *testing.T) {
		course := gid.New("Course", key)
		if err := course.Require(gid.Job, "id"); err == nil {
			t.Error("a Course ID passed as a Job's")
		}
		if err := gid.NewInt(gid.Job, 3).Require("Course", "id"); err == nil {
			t.Error("a Job ID passed as a Course's")
		}
	})
}
