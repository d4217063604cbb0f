package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Tag is a topic label; a course carries at most ten.
type Tag struct{ ent.Schema }

func (Tag) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}, timeMixin{}} }

func (Tag) Fields() []ent.Field {
	return []ent.Field{
		field.String("slug").Match(slugPattern).Validate(runes(1, 50)).Unique(),
		field.String("name").Validate(runes(1, 50)).
			Annotations(entgql.OrderField("NAME")),
	}
}

func (Tag) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("courses", Course.Type).Ref("tags").Through("course_tags", CourseTag.Type).
			Annotations(hidden()),
	}
}

func (Tag) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name")}
}

func (Tag) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entsql.Checks(map[string]string{
			"tag_slug": "length(slug) BETWEEN 1 AND 50 AND slug = lower(slug)",
			"tag_name": lengthCheck("name", 1, 50),
		}),
	}
}
