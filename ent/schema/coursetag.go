package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// CourseTag joins courses and tags. It is an edge schema rather than a plain
// join table so it can carry the (tag_id) index that "courses with tag X"
// needs; the primary key (course_id, tag_id) serves the other direction.
type CourseTag struct{ ent.Schema }

func (CourseTag) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("course_id", uuid.UUID{}),
		field.UUID("tag_id", uuid.UUID{}),
	}
}

func (CourseTag) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("course", Course.Type).Field("course_id").Unique().Required().Annotations(cascade()),
		edge.To("tag", Tag.Type).Field("tag_id").Unique().Required().Annotations(cascade()),
	}
}

func (CourseTag) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tag_id")}
}

func (CourseTag) Annotations() []schema.Annotation {
	return []schema.Annotation{
		field.ID("course_id", "tag_id"),
		hidden(),
	}
}
