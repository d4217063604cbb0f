package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Review is a learner's rating (1–5) and comment; one per learner and course.
type Review struct{ ent.Schema }

func (Review) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{}, timeMixin{orderable: true}}
}

func (Review) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("user_id", uuid.UUID{}).Immutable().Annotations(hidden()),
		field.UUID("course_id", uuid.UUID{}).Immutable().Annotations(hidden()),
		field.Int("rating").Range(1, 5),
		field.Text("body").Default("").Validate(runes(0, 5000)),
	}
}

func (Review) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("author", User.Type).Ref("reviews").Field("user_id").Unique().Required().Immutable(),
		edge.From("course", Course.Type).Ref("reviews").Field("course_id").Unique().Required().Immutable(),
	}
}

func (Review) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "course_id").Unique(),
		// Serves the course page's reviews connection, newest first.
		index.Fields("course_id", "created_at"),
	}
}

func (Review) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entsql.Checks(map[string]string{
			"review_rating": "rating BETWEEN 1 AND 5",
			"review_body":   lengthCheck("body", 0, 5000),
		}),
	}
}
