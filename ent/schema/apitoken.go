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

// APIToken is a personal access token for non-browser clients. The secret
// is shown once at creation; only its SHA-256 is stored. Scopes bound what
// the token may do, below its owner's own rights.
type APIToken struct{ ent.Schema }

func (APIToken) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}} }

func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("user_id", uuid.UUID{}).Immutable().Annotations(hidden()),
		field.String("name").Validate(runes(1, 100)).
			Comment("The owner's label for the token, unique among their tokens."),
		field.Bytes("token_hash").Immutable().Sensitive().Unique().
			Validate(byteLen(32)).Annotations(hidden()),
		field.Strings("scopes").Immutable().
			Annotations(entgql.Type("[ApiTokenScope!]")).
			Comment("What the token may do: READ (queries) and WRITE (mutations)."),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at").Immutable(),
		field.Time("last_used_at").Optional().Nillable().
			Comment("Last request made with the token (updated at most once a minute)."),
	}
}

func (APIToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("api_tokens").Field("user_id").Unique().Required().Immutable().
			Annotations(hidden()),
	}
}

func (APIToken) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "name").Unique(),
	}
}

func (APIToken) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Type("ApiToken"),
		entsql.Annotation{Table: "api_tokens"},
		entsql.Checks(map[string]string{
			"api_token_name":   lengthCheck("name", 1, 100),
			"api_token_hash":   "length(token_hash) = 32",
			"api_token_expiry": "expires_at > created_at",
		}),
	}
}
