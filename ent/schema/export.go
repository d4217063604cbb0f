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

// Export is a file a user asked for and waits on: a job writes it to the
// object store page by page, moving progress as it goes, and the file is
// deleted (status EXPIRED) once expires_at passes.
type Export struct{ ent.Schema }

// Mixin orders exports by creation time (viewer.exports lists the newest
// first); the order is not offered to clients, so no ExportOrder type
// appears in the schema (SkipOrderField below).
func (Export) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}, timeMixin{orderable: true}} }

func (Export) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("user_id", uuid.UUID{}).Immutable().Annotations(hidden()).
			Comment("Who asked for it; only they may see it and fetch the file."),
		field.Enum("kind").Values("COURSE_LEARNERS_CSV", "MY_DATA_JSON").Immutable().
			Annotations(entgql.Type("ExportKind")),
		field.UUID("course_id", uuid.UUID{}).Optional().Nillable().Immutable().Annotations(hidden()),
		field.Enum("status").Values("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "EXPIRED").Default("QUEUED").
			Annotations(entgql.Type("ExportStatus")),
		field.Float("progress").Default(0).Min(0).Max(1).
			Comment("From 0 to 1: the share of rows written so far."),
		field.Int("row_count").Optional().Nillable().NonNegative().
			Comment("Rows written so far (the file's rows once it succeeded)."),
		field.Int("total_rows").Optional().Nillable().NonNegative().Annotations(hidden()),
		field.String("object_key").Optional().Nillable().Unique().Annotations(hidden()),
		field.Int64("byte_size").Optional().Nillable().NonNegative().Annotations(hidden()),
		field.String("error_code").Optional().Nillable().Annotations(hidden()),
		field.Time("started_at").Optional().Nillable().Annotations(hidden()),
		field.Time("finished_at").Optional().Nillable().Annotations(hidden()),
		field.Time("expires_at").Optional().Nillable().
			Comment("When the file is deleted; set when it succeeds."),
	}
}

func (Export) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("exports").Field("user_id").Unique().Required().Immutable().
			Annotations(hidden()),
		edge.From("course", Course.Type).Ref("exports").Field("course_id").Unique().Immutable().
			Annotations(hidden()),
	}
}

func (Export) Indexes() []ent.Index {
	return []ent.Index{
		// viewer.exports, newest first, and the limit on running exports.
		index.Fields("user_id", "created_at"),
		index.Fields("user_id", "status"),
		// The expiry sweep.
		index.Fields("status", "expires_at"),
		index.Fields("course_id"),
	}
}

func (Export) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipOrderField),
		entsql.Table("exports"),
		entsql.Checks(map[string]string{
			"export_kind":     "kind IN ('COURSE_LEARNERS_CSV', 'MY_DATA_JSON')",
			"export_status":   "status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'EXPIRED')",
			"export_progress": "progress >= 0 AND progress <= 1",
			"export_course":   "kind <> 'COURSE_LEARNERS_CSV' OR course_id IS NOT NULL",
			"export_file":     "status <> 'SUCCEEDED' OR (object_key IS NOT NULL AND expires_at IS NOT NULL AND row_count IS NOT NULL)",
			"export_failed":   "CASE WHEN status = 'FAILED' THEN error_code IS NOT NULL ELSE error_code IS NULL END",
		}),
	}
}
