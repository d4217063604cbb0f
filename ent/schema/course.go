package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Course is the unit of the catalogue: sections of lessons, an FAQ, tags and
// the people who teach it.
type Course struct{ ent.Schema }

func (Course) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}, timeMixin{}} }

func (Course) Fields() []ent.Field {
	return []ent.Field{
		field.String("slug").Match(slugPattern).Validate(runes(1, 80)).Unique().
			Comment("Unique, lowercase kebab-case, at most 80 characters; used in URLs."),
		field.String("title").Validate(runes(1, 200)).
			Annotations(entgql.OrderField("TITLE")),
		field.String("summary").Default("").Validate(runes(0, 500)).
			Comment("One or two sentences, at most 500 characters."),
		field.Text("description").Default("").Validate(runes(0, 100_000)).
			Comment("Markdown, at most 100,000 characters."),
		field.Enum("level").Values("BEGINNER", "INTERMEDIATE", "ADVANCED").Default("BEGINNER").
			Annotations(entgql.Type("CourseLevel")),
		field.String("language").Default("en").Validate(languageTag).
			Comment("BCP 47 language tag in canonical form."),
		field.Enum("status").Values("DRAFT", "PUBLISHED", "ARCHIVED").Default("DRAFT").
			Annotations(entgql.Type("CourseStatus")),
		field.Time("published_at").Optional().Nillable().
			Comment("When the course was first published; null for drafts.").
			Annotations(entgql.OrderField("PUBLISHED_AT")),
		field.Strings("requirements").Default([]string{}).Validate(stringList(20, 200)).
			Comment("What a learner should bring, in order."),
		field.Strings("takeaways").Default([]string{}).Validate(stringList(20, 200)).
			Comment("What a learner will be able to do afterwards, in order."),

		// Counters the catalogue shows on every card. Recounting them per
		// page would cost a join and an aggregate per course, so they are
		// stored here and kept exact by internal/counter inside the same
		// transaction as every write that moves them (enrolment, lesson
		// publishing, reviews); seeding recounts them the same way. CHECKs
		// keep them in range even if a write forgets, and the
		// reconcile_counters job (internal/counter.Reconciler) recounts
		// them every RECONCILE_INTERVAL and repairs, with an audit event,
		// any a bug left wrong.
		field.Int("enrollment_count").Default(0).NonNegative().
			Comment("Learners enrolled (active or completed). " + counterNote).
			Annotations(entgql.OrderField("ENROLLMENT_COUNT")),
		field.Int("lesson_count").Default(0).NonNegative().
			Comment("Published lessons. " + counterNote),
		field.Int("rating_count").Default(0).NonNegative().
			Comment("Number of reviews. " + counterNote),
		field.Int("rating_sum").Default(0).NonNegative().Annotations(hidden()),
		// Optimistic concurrency: every change to the course row adds one,
		// and updateCourse applies only when the client's expectedVersion
		// is still current.
		field.Int("version").Default(1).Positive().
			Comment("Changes with every update of the course; send it back as expectedVersion to update."),
		field.UUID("cover_id", uuid.UUID{}).Optional().Nillable().Annotations(hidden()),
		field.Float("rating_average").Default(0).Min(0).Max(5).
			Comment("Mean review rating, 0 when there are no reviews. " + counterNote).
			Annotations(entgql.OrderField("RATING_AVERAGE")),
	}
}

func (Course) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("members", CourseMember.Type).Annotations(cascade(), hidden()),
		edge.To("sections", Section.Type).Annotations(cascade()).
			Comment("Sections in position order, each with its lessons."),
		edge.To("lessons", Lesson.Type).Annotations(cascade(), hidden()),
		edge.To("faq", FAQEntry.Type).Annotations(cascade()).
			Comment("Frequently asked questions, in position order."),
		edge.To("tags", Tag.Type).Through("course_tags", CourseTag.Type).
			Comment("Topic tags, by name."),
		edge.To("enrollments", Enrollment.Type).Annotations(restrict(), hidden()),
		edge.To("reviews", Review.Type).Annotations(restrict(), entgql.RelayConnection()).
			Comment("Reviews, newest first by default."),
		edge.To("assets", Asset.Type).Annotations(cascade(), hidden()),
		edge.To("exports", Export.Type).Annotations(cascade(), hidden()),
		edge.From("cover", Asset.Type).Ref("cover_of").Field("cover_id").Unique().
			Comment("The cover image; null when the course has none."),
	}
}

func (Course) Indexes() []ent.Index {
	return []ent.Index{
		// The catalogue always filters on status (anonymous callers see
		// PUBLISHED only) and then sorts by one allowlisted field.
		index.Fields("status", "published_at"),
		index.Fields("status", "title"),
		index.Fields("status", "rating_average"),
		index.Fields("status", "enrollment_count"),
		index.Fields("status", "level"),
		index.Fields("status", "language"),
		// A signed-in caller also sees the courses they teach, whatever
		// their status, so their catalogue cannot filter on status first:
		// without an index led by the sort field PostgreSQL sorted every
		// course for each page (2.6 ms for 2,000 courses, growing with
		// the catalogue), where these read the page's rows in order
		// (0.1 ms). The (status, field) indexes above stay for anonymous
		// pages, which they serve however few courses are published.
		index.Fields("published_at").StorageKey("course_order_published_at"),
		index.Fields("title").StorageKey("course_order_title"),
		index.Fields("rating_average").StorageKey("course_order_rating_average"),
		index.Fields("enrollment_count").StorageKey("course_order_enrollment_count"),
		// Text search: trigram indexes serve ILIKE '%term%' on PostgreSQL.
		index.Fields("title").Annotations(trigram()),
		index.Fields("summary").Annotations(trigram()),
	}
}

func (Course) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		entsql.Checks(map[string]string{
			"course_slug":        "length(slug) BETWEEN 1 AND 80 AND slug = lower(slug)",
			"course_version":     "version >= 1",
			"course_title":       lengthCheck("title", 1, 200),
			"course_summary":     lengthCheck("summary", 0, 500),
			"course_description": lengthCheck("description", 0, 100_000),
			"course_level":       "level IN ('BEGINNER', 'INTERMEDIATE', 'ADVANCED')",
			"course_status":      "status IN ('DRAFT', 'PUBLISHED', 'ARCHIVED')",
			"course_published":   "status = 'DRAFT' OR published_at IS NOT NULL",
			"course_counters":    "enrollment_count >= 0 AND lesson_count >= 0 AND rating_count >= 0 AND rating_sum BETWEEN rating_count AND 5 * rating_count",
			"course_rating":      "rating_average BETWEEN 0 AND 5",
		}),
	}
}

// counterNote ends the description of every stored counter: clients learn
// how exact it is and what keeps it so.
const counterNote = "Kept exact by each write; recounted by the reconcile_counters job every " +
	"RECONCILE_INTERVAL (default 1h), which repairs any drift."

// trigram makes an index a GIN trigram index on PostgreSQL (pg_trgm, created
// by the first migration); SQLite gets a plain index.
func trigram() schema.Annotation {
	return entsql.IndexAnnotation{
		Types:   map[string]string{dialect.Postgres: "GIN"},
		OpClass: "gin_trgm_ops",
	}
}
