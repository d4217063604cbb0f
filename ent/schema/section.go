package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Section groups a course's lessons; positions are dense from 0 and unique
// within the course.
type Section struct{ ent.Schema }

func (Section) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}, timeMixin{}} }

func (Section) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("course_id", uuid.UUID{}).Immutable().Annotations(hidden()),
		field.String("title").Validate(runes(1, 200)),
		field.Int("position").NonNegative().
			Comment("Order within the course, from 0."),
	}
}

func (Section) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("course", Course.Type).Ref("sections").Field("course_id").Unique().Required().Immutable(),
		edge.To("lessons", Lesson.Type).Annotations(cascade()).
			Comment("Lessons visible to the caller, in position order."),
	}
}

func (Section) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("course_id", "position").Unique(),
	}
}

func (Section) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"section_title":    lengthCheck("title", 1, 200),
			"section_position": "position >= 0",
		}),
	}
}

func (Section) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{inPositionOrder("course_id")}
}
