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

// EmailToken is a single-use link token sent by email: VERIFY_EMAIL proves
// the account holder reads `email` (the sign-up address or a new one asked
// for by changeEmail); RESET_PASSWORD lets them choose a new password. Only
// the SHA-256 of the token is stored, and the token is made by the job that
// sends the message, so its plain value exists only in that message.
type EmailToken struct{ ent.Schema }

func (EmailToken) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}} }

func (EmailToken) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("user_id", uuid.UUID{}).Immutable(),
		field.Enum("purpose").Values("VERIFY_EMAIL", "RESET_PASSWORD").Immutable(),
		field.String("email").Immutable().Validate(runes(3, 254)),
		field.Bytes("token_hash").Immutable().Sensitive().Unique().Validate(byteLen(32)),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at").Immutable(),
		field.Time("used_at").Optional().Nillable(),
	}
}

func (EmailToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("email_tokens").Field("user_id").Unique().Required().Immutable(),
	}
}

func (EmailToken) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "purpose"),
		index.Fields("expires_at"),
	}
}

func (EmailToken) Annotations() []schema.Annotation {
	return []schema.Annotation{
		hidden(),
		entsql.Checks(map[string]string{
			"email_token_purpose": "purpose IN ('VERIFY_EMAIL', 'RESET_PASSWORD')",
			"email_token_hash":    "length(token_hash) = 32",
			"email_token_expiry":  "expires_at > created_at",
		}),
	}
}
