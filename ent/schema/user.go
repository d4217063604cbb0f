package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// User is an account: a learner, an instructor or an administrator. Only the
// public profile (display name, bio) is exposed to other callers.
type User struct{ ent.Schema }

func (User) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}, timeMixin{}} }

func (User) Fields() []ent.Field {
	return []ent.Field{
		// Stored normalised (trimmed, lowercased) so the unique index is the
		// uniqueness rule. Never exposed to other users.
		field.String("email").NotEmpty().Validate(runes(3, 254)).Unique().
			Annotations(hidden()),
		field.String("display_name").Validate(runes(1, 100)),
		field.String("bio").Default("").Validate(runes(0, 2000)),
		field.Enum("role").Values("LEARNER", "INSTRUCTOR", "ADMIN").Default("LEARNER").
			Annotations(hidden()),
		field.Time("email_verified_at").Optional().Nillable().
			Annotations(hidden()),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		// A user's memberships, enrolments and reviews are history: the
		// database refuses to delete a user who still has any (accounts are
		// disabled, not deleted).
		edge.To("memberships", CourseMember.Type).Annotations(restrict(), hidden()),
		edge.To("enrollments", Enrollment.Type).Annotations(restrict(), hidden()),
		edge.To("reviews", Review.Type).Annotations(restrict(), hidden()),
	}
}

func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"user_email_lowercase": "email = lower(email)",
			"user_display_name":    lengthCheck("display_name", 1, 100),
			"user_bio":             lengthCheck("bio", 0, 2000),
			"user_role":            "role IN ('LEARNER', 'INSTRUCTOR', 'ADMIN')",
		}),
	}
}
