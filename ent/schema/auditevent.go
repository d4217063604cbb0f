package schema

import (
	"entgo.io/contrib/entgql"
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
		field.UUID("actor_id", uuid.UUID{}).Optional().Nillable().Immutable().Annotations(hidden()),
		field.String("action").Immutable().Match(auditActionPattern).Validate(runes(1, 64)).
			Comment("What happened, as dotted lower-case words: login.failure, token.revoke."),
		field.String("target_type").Default("").Immutable().Validate(runes(0, 40)).
			Comment("Kind of object acted on (User, Session, ApiToken), or empty."),
		field.String("target_id").Default("").Immutable().Validate(runes(0, 64)).
			Comment("Internal ID of the object acted on, or empty."),
		field.String("client_addr").Default("").Immutable().Validate(runes(0, 64)).
			Comment("Client address of the request."),
		field.String("request_id").Default("").Immutable().Validate(runes(0, 128)).
			Comment("ID of the request, as in its X-Request-ID header and the server log."),
		field.JSON("details", map[string]string{}).Optional().Immutable().Annotations(hidden()),
		field.Time("created_at").Default(time.Now).Immutable().Annotations(entgql.OrderField("CREATED_AT")),
	}
}

func (AuditEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("actor", User.Type).Ref("audit_events").Field("actor_id").Unique().Immutable().
			Comment("The signed-in user who acted; null when nobody was signed in (a failed sign-in)."),
	}
}

func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at"),
		index.Fields("actor_id", "created_at"),
		index.Fields("action", "created_at"),
		// An administrator's "everything that happened to this account".
		index.Fields("target_id", "created_at"),
	}
}

func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entsql.Checks(map[string]string{
			"audit_event_action": lengthCheck("action", 1, 64),
		}),
	}
}
