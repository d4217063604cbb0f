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

	"lectern/ent/schematype"
)

// Asset is an uploaded file: from the upload the server signed, through
// the checks completeUpload makes, to the place it is attached (a course's
// cover, a user's avatar, a lesson's attachments). The bytes live in the
// object store under object_key; the row is what decides who may read them.
type Asset struct{ ent.Schema }

func (Asset) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}, timeMixin{}} }

func (Asset) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("owner_id", uuid.UUID{}).Immutable().Annotations(hidden()).
			Comment("Who uploaded it; only they may complete and attach it."),
		field.Enum("purpose").Values("COURSE_COVER", "AVATAR", "LESSON_ATTACHMENT").Immutable().
			Annotations(entgql.Type("UploadPurpose")),
		// PENDING is an upload not yet completed: the API shows it as an
		// Upload, never as an Asset, so GraphQL maps status itself.
		field.Enum("status").Values("PENDING", "PROCESSING", "READY", "REJECTED", "FAILED").Default("PENDING").
			Annotations(hidden()),
		field.String("filename").Validate(runes(1, 255)).
			Comment("The name the file was uploaded with, made safe: no path, no control characters."),
		field.String("declared_type").Immutable().Annotations(hidden()),
		field.String("content_type").
			Comment("The media type: as declared until the upload completes, then as read from the file's first bytes."),
		field.Int64("byte_size").Positive().Immutable().
			Comment("Size in bytes of the file as uploaded."),
		field.String("checksum_sha256").Immutable().Annotations(hidden()),
		field.String("object_key").Unique().Immutable().Annotations(hidden()),
		field.Int("width").Optional().Nillable().Positive().
			Comment("Width in pixels of an image, once processed."),
		field.Int("height").Optional().Nillable().Positive().
			Comment("Height in pixels of an image, once processed."),
		field.JSON("renditions", []schematype.Rendition{}).Optional().Annotations(hidden()),
		field.String("rejection_reason").Optional().Nillable().Annotations(hidden()),
		field.String("failure_reason").Optional().Nillable().Annotations(hidden()),
		field.Time("upload_expires_at").Immutable().Annotations(hidden()),
		field.Time("completed_at").Optional().Nillable().Annotations(hidden()),
		field.UUID("course_id", uuid.UUID{}).Optional().Nillable().Annotations(hidden()),
		field.UUID("lesson_id", uuid.UUID{}).Optional().Nillable().Annotations(hidden()),
		field.String("title").Optional().Nillable().Validate(runes(1, 200)).
			Comment("A lesson attachment's title."),
		field.Time("attached_at").Optional().Nillable().Annotations(hidden()),
	}
}

func (Asset) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("owner", User.Type).Ref("assets").Field("owner_id").Unique().Required().Immutable().
			Annotations(hidden()),
		edge.From("course", Course.Type).Ref("assets").Field("course_id").Unique().Annotations(hidden()),
		edge.From("lesson", Lesson.Type).Ref("attachments").Field("lesson_id").Unique().Annotations(hidden()),
		// The rows that show it; unset when the asset goes.
		edge.To("cover_of", Course.Type).Unique().Annotations(entsql.OnDelete(entsql.SetNull), hidden()),
		edge.To("avatar_of", User.Type).Unique().Annotations(entsql.OnDelete(entsql.SetNull), hidden()),
	}
}

func (Asset) Indexes() []ent.Index {
	return []ent.Index{
		// Lesson.attachments, in the order they were attached.
		index.Fields("lesson_id", "attached_at"),
		// A course's assets (covers, attachments) for visibility checks.
		index.Fields("course_id"),
		// The sweep of uploads never completed, and a user's uploads.
		index.Fields("status", "upload_expires_at"),
		index.Fields("owner_id", "created_at"),
	}
}

func (Asset) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Table("assets"),
		entsql.Checks(map[string]string{
			"asset_purpose":  "purpose IN ('COURSE_COVER', 'AVATAR', 'LESSON_ATTACHMENT')",
			"asset_status":   "status IN ('PENDING', 'PROCESSING', 'READY', 'REJECTED', 'FAILED')",
			"asset_filename": lengthCheck("filename", 1, 255),
			"asset_size":     "byte_size > 0",
			"asset_checksum": "length(checksum_sha256) = 64",
			"asset_pixels":   "coalesce(width, 1) > 0 AND coalesce(height, 1) > 0",
			"asset_title":    "title IS NULL OR " + lengthCheck("title", 1, 200),
			// An attachment is a lesson attachment in a lesson of its course.
			"asset_lesson": "lesson_id IS NULL OR (purpose = 'LESSON_ATTACHMENT' AND course_id IS NOT NULL AND attached_at IS NOT NULL AND title IS NOT NULL)",
			"asset_course": "course_id IS NULL OR purpose IN ('COURSE_COVER', 'LESSON_ATTACHMENT')",
			"asset_reason": "CASE WHEN status = 'REJECTED' THEN rejection_reason IS NOT NULL ELSE rejection_reason IS NULL END" +
				" AND CASE WHEN status = 'FAILED' THEN failure_reason IS NOT NULL ELSE failure_reason IS NULL END",
		}),
	}
}

func (Asset) Interceptors() []ent.Interceptor {
	// Lesson.attachments keep the order they were attached in.
	return []ent.Interceptor{inOrder("attached_at", "created_at", "id")}
}
