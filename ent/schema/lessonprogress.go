package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// LessonProgress marks one lesson done within one enrolment.
type LessonProgress struct{ ent.Schema }

func (LessonProgress) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}} }

func (LessonProgress) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("enrollment_id", uuid.UUID{}).Immutable().Annotations(hidden()),
		field.UUID("lesson_id", uuid.UUID{}).Immutable().Annotations(hidden()),
		field.Time("completed_at"),
	}
}

func (LessonProgress) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("enrollment", Enrollment.Type).Ref("progress").Field("enrollment_id").Unique().Required().Immutable(),
		edge.From("lesson", Lesson.Type).Ref("progress").Field("lesson_id").Unique().Required().Immutable(),
	}
}

func (LessonProgress) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("enrollment_id", "lesson_id").Unique(),
		// Deleting a lesson cascades here; without this index PostgreSQL
		// would scan the table for every deleted lesson.
		index.Fields("lesson_id"),
	}
}
