package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"lectern/ent"
	"lectern/ent/maildelivery"
	"lectern/internal/database"
	"lectern/internal/mail"
	"lectern/internal/viewer"
)

// QueueEmail is the queue email jobs run in.
const QueueEmail = "email"

// Templates an EmailArgs can name.
const (
	TemplateVerification      = "verification"
	TemplatePasswordReset     = "password_reset"
	TemplateEmailChangeNotice = "email_change_notice"
	TemplateSignInNotice      = "sign_in_notice"
	TemplateAccountExists     = "account_exists"
	// TemplateExportReady tells an export's requester that its file can
	// be fetched (internal/export composes it; ExportID names the export).
	TemplateExportReady = "export_ready"
)

// emailMaxAttempts gives a mail server that is down for maintenance about
// an hour (River's backoff is attempt⁴ seconds) before the job is dropped.
const emailMaxAttempts = 8

// bookkeepingTimeout bounds recording a delivery's outcome once the
// message has been handed over.
const bookkeepingTimeout = 10 * time.Second

// EmailArgs asks for one account email. It never carries a secret: a
// message that needs a single-use link token gets the token from the
// Composer when the job runs, so the plain token exists only in the sent
// message.
type EmailArgs struct {
	// Template is one of the Template* constants.
	Template string    `json:"template"`
	UserID   uuid.UUID `json:"user_id"`
	// Address is the recipient when it is not the account's current
	// address (a notice sent to the old address after a change).
	Address    string    `json:"address,omitempty"`
	ClientAddr string    `json:"client_addr,omitempty"`
	UserAgent  string    `json:"user_agent,omitempty"`
	At         time.Time `json:"at"`
	// ExportID is the export a TemplateExportReady message announces.
	ExportID uuid.UUID `json:"export_id,omitzero"`
}

// Kind returns "email".
func (EmailArgs) Kind() string { return "email" }

// InsertOpts puts email jobs in QueueEmail with eight attempts.
func (EmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEmail, MaxAttempts: emailMaxAttempts}
}

// Composer builds a job's message inside tx, creating any single-use token
// the message carries in the same tx. ctx acts as the system viewer.
//
// send=false means there is nothing to send any more (account gone, address
// changed since) and the job ends. An error is retried with backoff unless
// it wraps river.JobCancel or mail.ErrInvalid, which end the job at once.
// The worker sets Date and Message-ID, so the message must not.
type Composer interface {
	Compose(ctx context.Context, tx *database.Tx, args EmailArgs) (msg mail.Message, send bool, err error)
}

// EmailWorker sends the message of each email job at most once, however
// often River runs the job.
//
// Rerunning a job (after a crash, a timeout or an administrator's retry)
// is safe: before a message is handed over, the job's delivery is claimed
// in a committed row (maildelivery, unique by job ID), and an attempt that
// finds the claim sends nothing. Claims are kept 30 days, far longer than
// River keeps a completed or cancelled job; a discarded job, kept until
// retried, holds none, since each of its failed sends released its claim.
type EmailWorker struct {
	river.WorkerDefaults[EmailArgs]
	db       *database.DB
	composer Composer
	sender   mail.Sender
	logger   *slog.Logger
}

// NewEmailWorker returns a worker composing with c and sending through s.
// A nil logger means slog.Default().
func NewEmailWorker(db *database.DB, c Composer, s mail.Sender, logger *slog.Logger) *EmailWorker {
	if logger == nil {
		logger = slog.Default()
	}
	return &EmailWorker{db: db, composer: c, sender: s, logger: logger}
}

// Sentinels that end the compose transaction without committing it.
var (
	errClaimed       = errors.New("delivery already claimed")
	errNothingToSend = errors.New("nothing to send")
)

// outgoing is a rendered message with its SMTP envelope.
type outgoing struct {
	raw  []byte
	from string
	to   []string
}

// Work claims the job's delivery and composes its message in one
// transaction, then sends it. It returns nil when the message was sent,
// when there was nothing to send and when an earlier attempt already
// claimed the delivery; a river.JobCancel error when the message is
// invalid or the server refused it for good; and otherwise the error, for
// River to retry.
//
// The claim is committed before the message is handed over, so if the
// process dies in between, retries find the claim and send nothing: a lost
// email is the price of never sending one twice. A transient failure
// releases the claim for the retry. Tokens an abandoned attempt created stay
// behind unused and expire; deleting them would need the Composer to say
// which rows it made, and the retry creates fresh ones anyway.
func (w *EmailWorker) Work(ctx context.Context, job *river.Job[EmailArgs]) error {
	ctx = viewer.SystemContext(ctx)
	log := w.logger.With(slog.Int64("job_id", job.ID), slog.String("template", job.Args.Template),
		slog.Int("attempt", job.Attempt))
	out, err := w.prepare(ctx, job)
	switch {
	case errors.Is(err, errClaimed):
		log.WarnContext(ctx, "email not sent", slog.String("outcome", "already_claimed"))
		return nil
	case errors.Is(err, errNothingToSend):
		log.InfoContext(ctx, "email not sent", slog.String("outcome", "nothing_to_send"))
		return nil
	case mail.IsPermanent(err):
		log.ErrorContext(ctx, "email not sent", slog.String("outcome", "invalid"), slog.String("error", err.Error()))
		return river.JobCancel(err)
	case err != nil:
		log.WarnContext(ctx, "email not sent", slog.String("outcome", "compose_failed"), slog.String("error", err.Error()))
		return err
	}
	return w.deliver(ctx, log, job.ID, out)
}

// prepare claims the delivery and composes and renders the message in one
// transaction. Nothing is committed unless there is a message to send, so a
// claim without sent_at always means a message that may have gone out.
func (w *EmailWorker) prepare(ctx context.Context, job *river.Job[EmailArgs]) (outgoing, error) {
	var out outgoing
	err := w.db.Transact(ctx, func(tx *database.Tx) error {
		if err := claim(ctx, tx, job.ID); err != nil {
			return err
		}
		msg, send, err := w.composer.Compose(ctx, tx, job.Args)
		if err != nil {
			return fmt.Errorf("email: compose %s: %w", job.Args.Template, err)
		}
		if !send {
			return errNothingToSend
		}
		out, err = render(msg, job)
		return err
	})
	return out, err
}

// claim records that job's message is about to be sent, or returns
// errClaimed if an earlier attempt did. The lookup comes first because on
// PostgreSQL a unique violation would abort the transaction; the violation
// still counts as a claim when two attempts race.
func claim(ctx context.Context, tx *database.Tx, jobID int64) error {
	taken, err := tx.MailDelivery.Query().Where(maildelivery.JobID(jobID)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("email: claim: %w", err)
	}
	if taken {
		return errClaimed
	}
	err = tx.MailDelivery.Create().SetJobID(jobID).Exec(ctx)
	if ent.IsConstraintError(err) {
		return errClaimed
	}
	if err != nil {
		return fmt.Errorf("email: claim: %w", err)
	}
	return nil
}

// render returns msg as bytes with its envelope; errors wrap
// mail.ErrInvalid.
func render(msg mail.Message, job *river.Job[EmailArgs]) (outgoing, error) {
	from, to, err := msg.Envelope()
	if err != nil {
		return outgoing{}, fmt.Errorf("email: %w", err)
	}
	raw, err := msg.Bytes(time.Now(), messageID(job, from))
	if err != nil {
		return outgoing{}, fmt.Errorf("email: %w", err)
	}
	return outgoing{raw: raw, from: from, to: to}, nil
}

// messageID returns "<job-ID.TAG@domain>", domain being the sender's. The
// job ID lets an operator trace a message to its job. Job IDs repeat
// across databases (a restored backup, a reset development database), so
// TAG, derived from the job's creation time, keeps the ID unique in the
// world while every attempt of one job gets the same ID: should a message
// be delivered twice after all (a reply lost after the server accepted it),
// receivers can tell the copies are one message.
func messageID(job *river.Job[EmailArgs], from string) string {
	domain := from[strings.LastIndexByte(from, '@')+1:]
	var seed [16]byte
	binary.BigEndian.PutUint64(seed[:8], uint64(job.ID))
	binary.BigEndian.PutUint64(seed[8:], uint64(job.CreatedAt.UnixNano()))
	sum := sha256.Sum256(seed[:])
	tag := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15])
	return "<job-" + strconv.FormatInt(job.ID, 10) + "." + tag + "@" + domain + ">"
}

// deliver hands the message to the sender and records the outcome.
func (w *EmailWorker) deliver(ctx context.Context, log *slog.Logger, jobID int64, out outgoing) error {
	sendErr := w.sender.Send(ctx, out.raw, out.from, out.to)
	// The outcome must be recorded even when the job's context ended during
	// the send (timeout, shutdown): a claim left behind by a failed send
	// would stop every retry.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	deliveries := w.db.Ent.MailDelivery
	switch {
	case sendErr == nil:
		if err := deliveries.Update().Where(maildelivery.JobID(jobID)).SetSentAt(time.Now()).Exec(bctx); err != nil {
			// The message is out; failing the job would not unsend it.
			log.ErrorContext(ctx, "email sent but not recorded", slog.String("error", err.Error()))
		}
		log.InfoContext(ctx, "email sent", slog.String("outcome", "sent"))
		return nil
	case mail.IsPermanent(sendErr):
		log.ErrorContext(ctx, "email not sent", slog.String("outcome", "refused"), slog.String("error", sendErr.Error()))
		return river.JobCancel(fmt.Errorf("email: %w", sendErr))
	}
	// A transient failure can, rarely, hide a delivery (the server took the
	// message but its reply was lost); releasing the claim then sends a
	// second copy, with the same Message-ID. Keeping it would instead drop
	// every message whose server was briefly unreachable.
	if _, err := deliveries.Delete().Where(maildelivery.JobID(jobID)).Exec(bctx); err != nil {
		log.ErrorContext(ctx, "email not sent and claim not released; retries will skip it",
			slog.String("outcome", "lost"), slog.String("error", err.Error()))
		return fmt.Errorf("email: %w (release claim: %v)", sendErr, err)
	}
	log.WarnContext(ctx, "email not sent", slog.String("outcome", "retry"), slog.String("error", sendErr.Error()))
	return fmt.Errorf("email: %w", sendErr)
}
