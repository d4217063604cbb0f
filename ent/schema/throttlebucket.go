package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ThrottleBucket counts attempts at a throttled action (a failed login for
// one account, sign-ups from one address…) in a fixed window. It lives in
// the database so every Lectern process shares the same counts; the key is
// the action plus a hash of the subject, never the raw email or address.
type ThrottleBucket struct{ ent.Schema }

func (ThrottleBucket) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}} }

func (ThrottleBucket) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").Immutable().Unique().Validate(runes(1, 128)).Comment("action:hash(subject)"),
		field.Int("count").NonNegative(),
		field.Time("window_ends_at"),
	}
}

func (ThrottleBucket) Indexes() []ent.Index {
	return []ent.Index{index.Fields("window_ends_at")}
}

func (ThrottleBucket) Annotations() []schema.Annotation {
	return []schema.Annotation{
		hidden(),
		entsql.Checks(map[string]string{"throttle_bucket_count": "count >= 0"}),
	}
}
