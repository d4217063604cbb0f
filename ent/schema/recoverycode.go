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

// RecoveryCode is one of the single-use codes that stand in for a TOTP code
// when the authenticator is lost. Stored as SHA-256 of the normalised code.
type RecoveryCode struct{ ent.Schema }

func (RecoveryCode) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}} }

func (RecoveryCode) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("user_id", uuid.UUID{}).Immutable(),
		field.Bytes("code_hash").Immutable().Sensitive().Validate(byteLen(32)),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("used_at").Optional().Nillable(),
	}
}

func (RecoveryCode) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("recovery_codes").Field("user_id").Unique().Required().Immutable(),
	}
}

func (RecoveryCode) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "code_hash").Unique()}
}

func (RecoveryCode) Annotations() []schema.Annotation {
	return []schema.Annotation{
		hidden(),
		entsql.Checks(map[string]string{"recovery_code_hash": "length(code_hash) = 32"}),
	}
}
