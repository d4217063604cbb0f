package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// AuditEvent records a security-relevant action: who did what to which
// object, from where, in which request. Rows are only ever inserted.
// Details never hold secrets (passwords, tokens, codes); the audit writer
// accepts only short, known keys.
type AuditEvent struct{ ent.Schema }

func (AuditEvent) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}} }

func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		// The signed-in user who acted, if any (a failed login has none).
		field.UUID("actor_id", uuid.UUID{}).Optional().Nillable().Immutable(),
		field.String("action").Immutable().Match(auditActionPattern).Validate(runes(1, 64)),
		field.String("target_type").Default("").Immutable().Validate(runes(0, 40)),
		field.String("target_id").Default("").Immutable().Validate(runes(0, 64)),
		field.String("client_addr").Default("").Immutable().Validate(runes(0, 64)),
		field.String("request_id").Default("").Immutable().Validate(runes(0, 128)),
		field.JSON("details", map[string]string{}).Optional().Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

func (AuditEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("actor", User.Type).Ref("audit_events").Field("actor_id").Unique().Immutable(),
	}
}

func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at"),
		index.Fields("actor_id", "created_at"),
		index.Fields("action", "created_at"),
	}
}

func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		hidden(),
		entsql.Checks(map[string]string{
			"audit_event_action": lengthCheck("action", 1, 64),
		}),
	}
}

func (AuditEvent) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{visibleTo(adminOnly)}
}
