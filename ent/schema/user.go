package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"github.com/google/uuid"
)

// User is an account: a learner, an instructor or an administrator. Only the
// public profile (display name, bio) is exposed to other callers.
type User struct{ ent.Schema }

func (User) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}, timeMixin{}} }

func (User) Fields() []ent.Field {
	return []ent.Field{
		// Stored normalised (trimmed, lowercased) so the unique index is the
		// uniqueness rule. Never exposed to other users.
		field.String("email").NotEmpty().Validate(runes(3, 254)).Unique().
			Annotations(hidden()),
		field.String("display_name").Validate(runes(1, 100)),
		field.String("bio").Default("").Validate(runes(0, 2000)),
		field.Enum("role").Values("LEARNER", "INSTRUCTOR", "ADMIN").Default("LEARNER").
			Annotations(hidden()),
		field.Time("email_verified_at").Optional().Nillable().
			Annotations(hidden()),
		// argon2id PHC string with its parameters; null for accounts that
		// cannot sign in with a password (synthetic data).
		field.String("password_hash").Optional().Nillable().Sensitive().
			Annotations(hidden()),
		// The confirmed TOTP secret (MFA is on when mfa_enabled_at is set)
		// and the one waiting for confirmTotpEnrollment.
		field.String("totp_secret").Optional().Nillable().Sensitive().
			Annotations(hidden()),
		field.String("totp_pending_secret").Optional().Nillable().Sensitive().
			Annotations(hidden()),
		// The last TOTP time step accepted, so each code works once.
		field.Int64("totp_last_step").Default(0).Annotations(hidden()),
		field.Time("mfa_enabled_at").Optional().Nillable().Annotations(hidden()),
		// A disabled account cannot sign in and its credentials are refused.
		field.Time("disabled_at").Optional().Nillable().Annotations(hidden()),
		field.UUID("avatar_id", uuid.UUID{}).Optional().Nillable().Annotations(hidden()),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		// A user's memberships, enrolments and reviews are history: the
		// database refuses to delete a user who still has any (accounts are
		// disabled, not deleted).
		edge.To("memberships", CourseMember.Type).Annotations(restrict(), hidden()),
		edge.To("enrollments", Enrollment.Type).Annotations(restrict(), hidden()),
		edge.To("reviews", Review.Type).Annotations(restrict(), hidden()),
		// Credentials go with the account.
		edge.To("sessions", Session.Type).Annotations(cascade(), hidden()),
		edge.To("api_tokens", APIToken.Type).Annotations(cascade(), hidden()),
		edge.To("email_tokens", EmailToken.Type).Annotations(cascade(), hidden()),
		edge.To("mfa_challenges", MFAChallenge.Type).Annotations(cascade(), hidden()),
		edge.To("recovery_codes", RecoveryCode.Type).Annotations(cascade(), hidden()),
		// The audit trail outlives nothing: users are never deleted, but
		// if one were, their events would stay, anonymised.
		edge.To("assets", Asset.Type).Annotations(cascade(), hidden()),
		edge.To("exports", Export.Type).Annotations(cascade(), hidden()),
		edge.To("idempotency_keys", IdempotencyKey.Type).Annotations(cascade(), hidden()),
		edge.From("avatar", Asset.Type).Ref("avatar_of").Field("avatar_id").Unique().
			Comment("The profile picture; null when the user has none."),
		edge.To("audit_events", AuditEvent.Type).Annotations(entsql.OnDelete(entsql.SetNull), hidden()),
	}
}

func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"user_email_lowercase": "email = lower(email)",
			"user_display_name":    lengthCheck("display_name", 1, 100),
			"user_bio":             lengthCheck("bio", 0, 2000),
			"user_role":            "role IN ('LEARNER', 'INSTRUCTOR', 'ADMIN')",
			"user_mfa":             "mfa_enabled_at IS NULL OR totp_secret IS NOT NULL",
		}),
	}
}
