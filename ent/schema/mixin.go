package schema

import (
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/google/uuid"
)

// idMixin gives every entity a random (v4) UUID primary key. Random rather
// than sequential so that no ID reveals or predicts another; clients only
// ever see it wrapped in a typed global ID (internal/gid).
type idMixin struct{ mixin.Schema }

func (idMixin) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(uuid.New).Immutable(),
	}
}

// timeMixin records when a row was created and last changed. orderable
// lets GraphQL connections of the type sort by creation time.
type timeMixin struct {
	mixin.Schema
	orderable bool
}

func (m timeMixin) Fields() []ent.Field {
	created := field.Time("created_at").Default(time.Now).Immutable()
	if m.orderable {
		created = created.Annotations(entgql.OrderField("CREATED_AT"))
	}
	return []ent.Field{
		created,
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Annotations(hidden()),
	}
}

// slugPattern is lowercase kebab-case: "back-end-101".
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// runes returns a validator bounding a string's length in characters (not
// bytes), matching the CHECK constraints, which count characters on both
// PostgreSQL and SQLite.
func runes(minLen, maxLen int) func(string) error {
	return func(s string) error {
		n := utf8.RuneCountInString(s)
		if n < minLen || n > maxLen {
			return fmt.Errorf("length %d is outside %d..%d characters", n, minLen, maxLen)
		}
		return nil
	}
}

// stringList returns a validator for ordered lists of short strings.
func stringList(maxItems, maxLen int) func([]string) error {
	check := runes(1, maxLen)
	return func(items []string) error {
		if len(items) > maxItems {
			return fmt.Errorf("%d items exceed the limit of %d", len(items), maxItems)
		}
		for i, s := range items {
			if err := check(s); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
		return nil
	}
}

// lengthCheck is the database-side twin of runes: length() counts characters
// on PostgreSQL and SQLite alike.
func lengthCheck(column string, minLen, maxLen int) string {
	return fmt.Sprintf("length(%s) BETWEEN %d AND %d", column, minLen, maxLen)
}

// cascade deletes the children with their parent: they mean nothing alone.
func cascade() schema.Annotation { return entsql.OnDelete(entsql.Cascade) }

// restrict refuses to delete a parent that still has these children, because
// deleting them would lose history (enrolments, reviews, memberships).
func restrict() schema.Annotation { return entsql.OnDelete(entsql.Restrict) }

// hidden keeps a field or edge out of the GraphQL schema.
func hidden() schema.Annotation { return entgql.Skip(entgql.SkipAll) }

// byteLen returns a validator for fixed-size binary values such as SHA-256
// hashes.
func byteLen(n int) func([]byte) error {
	return func(b []byte) error {
		if len(b) != n {
			return fmt.Errorf("length %d bytes, want %d", len(b), n)
		}
		return nil
	}
}

// auditActionPattern spells audit actions as dotted lower-case words:
// "login.failure", "token.revoke".
var auditActionPattern = regexp.MustCompile(`^[a-z]+(?:[._][a-z]+)*$`)
