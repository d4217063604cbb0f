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

// MFAChallenge is a half-finished sign-in: the password was right and the
// account needs a second factor. The client gets the challenge token (only
// its hash is kept) and trades it, with a code, for a session.
type MFAChallenge struct{ ent.Schema }

func (MFAChallenge) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}} }

func (MFAChallenge) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("user_id", uuid.UUID{}).Immutable(),
		field.Bytes("token_hash").Immutable().Sensitive().Unique().Validate(byteLen(32)),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at").Immutable(),
		field.Int("failed_attempts").Default(0).NonNegative(),
	}
}

func (MFAChallenge) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("mfa_challenges").Field("user_id").Unique().Required().Immutable(),
	}
}

func (MFAChallenge) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id"), index.Fields("expires_at")}
}

func (MFAChallenge) Annotations() []schema.Annotation {
	return []schema.Annotation{
		hidden(),
		entsql.Annotation{Table: "mfa_challenges"},
		entsql.Checks(map[string]string{
			"mfa_challenge_hash":     "length(token_hash) = 32",
			"mfa_challenge_expiry":   "expires_at > created_at",
			"mfa_challenge_attempts": "failed_attempts >= 0",
		}),
	}
}
