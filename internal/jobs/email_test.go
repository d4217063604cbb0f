package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"lectern/ent"
	"lectern/ent/maildelivery"
	"lectern/internal/database"
	"lectern/internal/jobs"
	lmail "lectern/internal/mail"
	"lectern/internal/mail/mailtest"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// secretLink stands for the single-use link a real message carries; it
// must reach the recipient and nothing else, the log included.
const secretLink = "https://lectern.test/verify?token=s3cr3t-"

// testComposer renders a short message to the account's address (or to
// args.Address), the way the real composers read the account in the job's
// transaction. A missing account means there is nothing to send.
type testComposer struct {
	calls    atomic.Int32
	failNext atomic.Bool
}

func (c *testComposer) Compose(ctx context.Context, tx *database.Tx, args jobs.EmailArgs) (lmail.Message, bool, error) {
	n := c.calls.Add(1)
	if c.failNext.Swap(false) {
		return lmail.Message{}, false, errors.New("template store unavailable")
	}
	u, err := tx.User.Get(ctx, args.UserID)
	if ent.IsNotFound(err) {
		return lmail.Message{}, false, nil
	}
	if err != nil {
		return lmail.Message{}, false, err
	}
	to := u.Email
	if args.Address != "" {
		to = args.Address
	}
	return lmail.Message{
		From:    "Lectern <no-reply@lectern.test>",
		To:      []string{to},
		Subject: "Your " + args.Template,
		Text:    "Hello " + u.DisplayName + ", open " + secretLink + strconv.Itoa(int(n)),
	}, true, nil
}

// retryNow retries a failed job at once, so a retry takes a poll interval
// rather than River's backoff.
type retryNow struct{}

func (retryNow) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// emailBundle is a running queue with the email worker, delivering to an
// in-process SMTP server.
type emailBundle struct {
	ctx      context.Context
	db       *database.DB
	queue    *jobs.Queue
	smtp     *mailtest.Server
	composer *testComposer
	log      *testenv.Buffer
}

func setupEmail(t *testing.T, db *database.DB) *emailBundle {
	t.Helper()
	b := &emailBundle{
		ctx:      viewer.SystemContext(context.Background()),
		db:       db,
		smtp:     mailtest.Start(t),
		composer: &testComposer{},
		log:      &testenv.Buffer{},
	}
	sender, err := lmail.NewSMTPSender(b.smtp.URL("smtp"), lmail.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(b.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	workers := river.NewWorkers()
	river.AddWorker(workers, jobs.NewEmailWorker(db, b.composer, sender, logger))
	// No Queues: the email queue must be among the defaults.
	b.queue, err = jobs.New(db, jobs.Config{Workers: workers, PollInterval: 50 * time.Millisecond, RetryPolicy: retryNow{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.queue.Start(b.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = b.queue.Stop(context.Background())
		if t.Failed() {
			t.Logf("worker log:\n%s", b.log.String())
		}
	})
	return b
}

// user creates an account to write to.
func (b *emailBundle) user(t *testing.T) *ent.User {
	t.Helper()
	u, err := b.db.Ent.User.Create().
		SetEmail("learner-" + strings.ToLower(uuid.NewString()[:8]) + "@example.com").
		SetDisplayName("Ada").
		Save(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// enqueue commits a job with args and returns its ID; also, when set, runs
// in the same transaction.
func (b *emailBundle) enqueue(t *testing.T, args jobs.EmailArgs, also func(tx *database.Tx, jobID int64) error) int64 {
	t.Helper()
	var id int64
	err := b.db.Transact(b.ctx, func(tx *database.Tx) error {
		res, err := b.queue.InsertTx(b.ctx, tx, args, nil)
		if err != nil {
			return err
		}
		id = res.Job.ID
		if also != nil {
			return also(tx, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func verification(userID uuid.UUID) jobs.EmailArgs {
	return jobs.EmailArgs{Template: jobs.TemplateVerification, UserID: userID, At: time.Now()}
}

// finished waits for the job to reach a final state and returns that state
// and the number of attempts made.
func (b *emailBundle) finished(t *testing.T, jobID int64) (state string, attempts int) {
	t.Helper()
	done := ctxDone(t)
	for {
		err := b.db.SQL.QueryRow(`SELECT state, attempt FROM river_job WHERE id = $1`, jobID).Scan(&state, &attempts)
		if err != nil {
			t.Fatalf("job %d: %v", jobID, err)
		}
		switch rivertype.JobState(state) {
		case rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
			return state, attempts
		}
		select {
		case <-done:
			t.Fatalf("job %d still %s after %d attempts", jobID, state, attempts)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// claim returns the job's delivery claim, or nil when there is none.
func (b *emailBundle) claim(t *testing.T, jobID int64) *ent.MailDelivery {
	t.Helper()
	d, err := b.db.Ent.MailDelivery.Query().Where(maildelivery.JobID(jobID)).Only(b.ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestEmailWorker(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Run("DeliversExactlyOnce", func(t *testing.T) {
			b := setupEmail(t, db)
			u := b.user(t)
			id := b.enqueue(t, verification(u.ID), nil)

			got := b.smtp.WaitFor(t, 1, 30*time.Second)
			if state, attempts := b.finished(t, id); state != "completed" || attempts != 1 {
				t.Errorf("job %s after %d attempts, want completed after 1", state, attempts)
			}
			if got = b.smtp.Messages(); len(got) != 1 {
				t.Fatalf("%d messages arrived, want 1", len(got))
			}
			if got[0].From != "no-reply@lectern.test" || len(got[0].To) != 1 || got[0].To[0] != u.Email {
				t.Errorf("envelope %s → %v, want no-reply@lectern.test → %s", got[0].From, got[0].To, u.Email)
			}
			msg, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
			if err != nil {
				t.Fatal(err)
			}
			if mid := msg.Header.Get("Message-ID"); !strings.HasPrefix(mid, fmt.Sprintf("<job-%d.", id)) || !strings.HasSuffix(mid, "@lectern.test>") {
				t.Errorf("Message-ID %q, want <job-%d.…@lectern.test>", mid, id)
			}
			if !bytes.Contains(got[0].Data, []byte("s3cr3t-1")) {
				t.Errorf("the message lacks its link:\n%s", got[0].Data)
			}
			if c := b.claim(t, id); c == nil || c.SentAt == nil {
				t.Errorf("claim %+v, want one with sent_at", c)
			}
			logs := b.log.String()
			if !strings.Contains(logs, "outcome=sent") || !strings.Contains(logs, "job_id="+strconv.FormatInt(id, 10)) {
				t.Errorf("log lacks the outcome or job id:\n%s", logs)
			}
			if strings.Contains(logs, "s3cr3t") || strings.Contains(logs, u.Email) {
				t.Errorf("log shows the link or the recipient:\n%s", logs)
			}
		})

		t.Run("RolledBackJobSendsNothing", func(t *testing.T) {
			b := setupEmail(t, db)
			dropped, kept := b.user(t), b.user(t)
			boom := errors.New("boom")
			err := db.Transact(b.ctx, func(tx *database.Tx) error {
				if _, err := b.queue.InsertTx(b.ctx, tx, verification(dropped.ID), nil); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("transact: %v", err)
			}
			// The committed job after it shows the queue was working.
			id := b.enqueue(t, verification(kept.ID), nil)
			b.finished(t, id)
			got := b.smtp.Messages()
			if len(got) != 1 || got[0].To[0] != kept.Email {
				t.Errorf("messages %v, want only the one to %s", got, kept.Email)
			}
		})

		t.Run("TransientFailureIsRetriedAndDeliveredOnce", func(t *testing.T) {
			b := setupEmail(t, db)
			b.smtp.RejectNextRcpt(451)
			id := b.enqueue(t, verification(b.user(t).ID), nil)

			if state, attempts := b.finished(t, id); state != "completed" || attempts != 2 {
				t.Errorf("job %s after %d attempts, want completed after 2", state, attempts)
			}
			got := b.smtp.Messages()
			if len(got) != 1 {
				t.Fatalf("%d messages arrived, want 1", len(got))
			}
			// The retry composed afresh: its message carries the second link.
			if !bytes.Contains(got[0].Data, []byte("s3cr3t-2")) {
				t.Errorf("the delivered message is not the retry's:\n%s", got[0].Data)
			}
			if c := b.claim(t, id); c == nil || c.SentAt == nil {
				t.Errorf("claim %+v, want one with sent_at", c)
			}
		})

		t.Run("PermanentFailureCancelsJob", func(t *testing.T) {
			b := setupEmail(t, db)
			b.smtp.RejectNextRcpt(550)
			id := b.enqueue(t, verification(b.user(t).ID), nil)

			if state, attempts := b.finished(t, id); state != "cancelled" || attempts != 1 {
				t.Errorf("job %s after %d attempts, want cancelled after 1", state, attempts)
			}
			if got := b.smtp.Messages(); len(got) != 0 {
				t.Errorf("%d messages arrived, want none", len(got))
			}
			if n := b.composer.calls.Load(); n != 1 {
				t.Errorf("composed %d times, want 1", n)
			}
			// The claim stays: the server may yet be shown to have taken it.
			if c := b.claim(t, id); c == nil || c.SentAt != nil {
				t.Errorf("claim %+v, want one without sent_at", c)
			}
		})

		t.Run("ExistingClaimSendsNothing", func(t *testing.T) {
			b := setupEmail(t, db)
			id := b.enqueue(t, verification(b.user(t).ID), func(tx *database.Tx, jobID int64) error {
				return tx.MailDelivery.Create().SetJobID(jobID).Exec(b.ctx)
			})

			if state, _ := b.finished(t, id); state != "completed" {
				t.Errorf("job %s, want completed", state)
			}
			if got := b.smtp.Messages(); len(got) != 0 {
				t.Errorf("%d messages arrived, want none", len(got))
			}
			if n := b.composer.calls.Load(); n != 0 {
				t.Errorf("composed %d times, want never", n)
			}
		})

		t.Run("NothingToSendEndsJob", func(t *testing.T) {
			b := setupEmail(t, db)
			id := b.enqueue(t, verification(uuid.New()), nil)

			if state, attempts := b.finished(t, id); state != "completed" || attempts != 1 {
				t.Errorf("job %s after %d attempts, want completed after 1", state, attempts)
			}
			if got := b.smtp.Messages(); len(got) != 0 {
				t.Errorf("%d messages arrived, want none", len(got))
			}
			if c := b.claim(t, id); c != nil {
				t.Errorf("claim %+v left for a message never sent", c)
			}
		})

		t.Run("ComposeFailureReleasesClaim", func(t *testing.T) {
			b := setupEmail(t, db)
			b.composer.failNext.Store(true)
			id := b.enqueue(t, verification(b.user(t).ID), nil)

			if state, attempts := b.finished(t, id); state != "completed" || attempts != 2 {
				t.Errorf("job %s after %d attempts, want completed after 2", state, attempts)
			}
			if got := b.smtp.Messages(); len(got) != 1 {
				t.Errorf("%d messages arrived, want 1", len(got))
			}
		})

		t.Run("InvalidMessageCancelsJob", func(t *testing.T) {
			b := setupEmail(t, db)
			args := verification(b.user(t).ID)
			args.Address = "not an address"
			id := b.enqueue(t, args, nil)

			if state, attempts := b.finished(t, id); state != "cancelled" || attempts != 1 {
				t.Errorf("job %s after %d attempts, want cancelled after 1", state, attempts)
			}
			if got := b.smtp.Messages(); len(got) != 0 {
				t.Errorf("%d messages arrived, want none", len(got))
			}
			if c := b.claim(t, id); c != nil {
				t.Errorf("claim %+v left for a message never sent", c)
			}
		})
	})
}

// TestEmailArgs pins what queued rows depend on: a renamed kind or queue
// would strand the jobs already waiting in the database.
func TestEmailArgs(t *testing.T) {
	opts := jobs.EmailArgs{}.InsertOpts()
	if (jobs.EmailArgs{}).Kind() != "email" || opts.Queue != jobs.QueueEmail || opts.MaxAttempts != 8 {
		t.Errorf("kind %q, opts %+v; want email in queue %q with 8 attempts", jobs.EmailArgs{}.Kind(), opts, jobs.QueueEmail)
	}
}
