package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Session is a signed-in client: a browser holding the session cookie or a
// client that asked for the session token (transport TOKEN). Only the
// SHA-256 of the token is stored; ending a session deletes its row, so a
// copied cookie stops working at once.
type Session struct{ ent.Schema }

func (Session) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}} }

func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("user_id", uuid.UUID{}).Immutable().Annotations(hidden()),
		field.Bytes("token_hash").Immutable().Sensitive().Unique().
			Validate(byteLen(32)).Annotations(hidden()),
		field.Enum("transport").Values("COOKIE", "TOKEN").Immutable().
			Annotations(entgql.Type("SessionTransport")).
			Comment("How the session's token travels: the session cookie or an Authorization header."),
		field.Bool("mfa").Default(false).Immutable().
			Comment("Whether the sign-in that created the session passed a second factor."),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("last_seen_at").Default(time.Now).
			Comment("Last request made with the session (updated at most once a minute)."),
		field.Time("expires_at").Immutable().
			Comment("When the session ends regardless of activity (absolute timeout)."),
		field.String("client_addr").Default("").Immutable().Validate(runes(0, 64)).
			Comment("Client address the session was created from."),
		field.String("user_agent").Default("").Immutable().Validate(runes(0, 256)).
			Comment("User-Agent the session was created with, shortened."),
	}
}

func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("sessions").Field("user_id").Unique().Required().Immutable().
			Annotations(hidden()),
	}
}

func (Session) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "created_at"),
		// Expired sessions are pruned by expiry.
		index.Fields("expires_at"),
	}
}

func (Session) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"session_transport": "transport IN ('COOKIE', 'TOKEN')",
			"session_token":     "length(token_hash) = 32",
			"session_expiry":    "expires_at > created_at",
		}),
	}
}
