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

// FAQEntry is one question and answer on a course page.
type FAQEntry struct{ ent.Schema }

func (FAQEntry) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}, timeMixin{}} }

func (FAQEntry) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("course_id", uuid.UUID{}).Immutable().Annotations(hidden()),
		field.String("question").Validate(runes(1, 300)),
		field.Text("answer").Validate(runes(1, 5000)).Comment("Markdown."),
		field.Int("position").NonNegative().
			Comment("Order on the course page, from 0."),
	}
}

func (FAQEntry) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("course", Course.Type).Ref("faq").Field("course_id").Unique().Required().Immutable().
			Annotations(hidden()),
	}
}

func (FAQEntry) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("course_id", "position").Unique(),
	}
}

func (FAQEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Type("FAQEntry"),
		entsql.Table("faq_entries"),
		entsql.Checks(map[string]string{
			"faq_question": lengthCheck("question", 1, 300),
			"faq_answer":   lengthCheck("answer", 1, 5000),
			"faq_position": "position >= 0",
		}),
	}
}

func (FAQEntry) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{inPositionOrder("course_id")}
}
