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

// Enrollment records that a learner takes a course. Unenrolling cancels it
// rather than deleting it, so progress and history survive a re-enrolment.
type Enrollment struct{ ent.Schema }

func (Enrollment) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}, timeMixin{}} }

func (Enrollment) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("user_id", uuid.UUID{}).Immutable().Annotations(hidden()),
		field.UUID("course_id", uuid.UUID{}).Immutable().Annotations(hidden()),
		field.Enum("status").Values("ACTIVE", "COMPLETED", "CANCELLED").Default("ACTIVE").
			Annotations(entgql.Type("EnrollmentStatus")),
		// Kept in step with lesson_progress by the write that moves it, so
		// progress lists need no aggregate; status and completed_at follow
		// it (COMPLETED once every published lesson is done).
		field.Int("completed_lesson_count").Default(0).NonNegative().
			Comment("Published lessons of the course this learner has completed. " + counterNote),
		field.Time("completed_at").Optional().Nillable().
			Comment("When the learner completed every published lesson; null unless the status is COMPLETED. " +
				"Derived from the progress like completedLessonCount, and re-derived by the same job."),
	}
}

func (Enrollment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("enrollments").Field("user_id").Unique().Required().Immutable(),
		edge.From("course", Course.Type).Ref("enrollments").Field("course_id").Unique().Required().Immutable(),
		edge.To("progress", LessonProgress.Type).Annotations(cascade(), hidden()),
	}
}

func (Enrollment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "course_id").Unique(),
		index.Fields("course_id", "status"),
	}
}

func (Enrollment) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"enrollment_status":    "status IN ('ACTIVE', 'COMPLETED', 'CANCELLED')",
			"enrollment_completed": "status = 'COMPLETED' AND completed_at IS NOT NULL OR status <> 'COMPLETED' AND completed_at IS NULL",
			"enrollment_progress":  "completed_lesson_count >= 0",
		}),
	}
}
