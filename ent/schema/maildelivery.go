package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// MailDelivery claims the sending of one email job's message. The claim is
// committed before the message is handed to the mail server and released
// only when the server refused it, so a retried job (after a crash or a
// timeout) never sends the same message twice.
type MailDelivery struct{ ent.Schema }

func (MailDelivery) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{}} }

func (MailDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("job_id").Immutable().Positive().Unique().Comment("The River job ID."),
		field.Time("claimed_at").Default(time.Now).Immutable(),
		field.Time("sent_at").Optional().Nillable(),
	}
}

func (MailDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}
