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

// IdempotencyKey is the stored answer to a mutation request sent with an
// Idempotency-Key header. It is written in the transaction that holds the
// request's effects, so a key exists exactly when its effects do, and a
// retry of the same request gets this answer back instead of running again.
type IdempotencyKey struct{ ent.Schema }

func (IdempotencyKey) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}} }

func (IdempotencyKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("scope").Immutable().NotEmpty().MaxLen(100).
			Comment("Whose key it is: user:<id>, or anon:<hash of the client address>."),
		field.UUID("user_id", uuid.UUID{}).Optional().Nillable().Immutable().
			Comment("The caller, when signed in; their keys go with their account."),
		field.String("key").Immutable().NotEmpty().MaxLen(255),
		field.String("fingerprint").Immutable().
			Comment("SHA-256 (hex) of the operation name, document and variables."),
		field.Int("response_status").Immutable(),
		field.JSON("response_headers", map[string]string{}).Immutable(),
		field.Bytes("response_body").Immutable(),
		field.Time("created_at").Immutable(),
		field.Time("expires_at").Immutable(),
	}
}

func (IdempotencyKey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("idempotency_keys").Field("user_id").Unique().Immutable(),
	}
}

func (IdempotencyKey) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("scope", "key").Unique(),
		// The purge of expired keys.
		index.Fields("expires_at"),
	}
}

func (IdempotencyKey) Annotations() []schema.Annotation {
	return []schema.Annotation{
		hidden(),
		entsql.Table("idempotency_keys"),
		entsql.Checks(map[string]string{
			"idempotency_key_length":      "length(key) BETWEEN 1 AND 255",
			"idempotency_key_fingerprint": "length(fingerprint) = 64",
			"idempotency_key_status":      "response_status BETWEEN 100 AND 599",
			"idempotency_key_expiry":      "expires_at > created_at",
		}),
	}
}
