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

// CourseMember gives a user a course-scoped role. The OWNER is the course's
// single owner (a partial unique index allows at most one per course);
// INSTRUCTORs co-teach; ASSISTANTs help without authoring rights.
type CourseMember struct{ ent.Schema }

func (CourseMember) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}, timeMixin{}} }

func (CourseMember) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("course_id", uuid.UUID{}).Immutable(),
		field.UUID("user_id", uuid.UUID{}).Immutable(),
		field.Enum("role").Values("OWNER", "INSTRUCTOR", "ASSISTANT"),
	}
}

func (CourseMember) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("course", Course.Type).Ref("members").Field("course_id").Unique().Required().Immutable(),
		edge.From("user", User.Type).Ref("memberships").Field("user_id").Unique().Required().Immutable(),
	}
}

func (CourseMember) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("course_id", "user_id").Unique(),
		index.Fields("course_id").Unique().
			Annotations(entsql.IndexWhere("role = 'OWNER'")).
			StorageKey("coursemember_one_owner"),
		index.Fields("user_id"),
	}
}

func (CourseMember) Annotations() []schema.Annotation {
	return []schema.Annotation{
		hidden(),
		entsql.Checks(map[string]string{
			"course_member_role": "role IN ('OWNER', 'INSTRUCTOR', 'ASSISTANT')",
		}),
	}
}
