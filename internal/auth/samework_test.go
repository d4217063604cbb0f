package auth_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"lectern/ent"
	"lectern/ent/user"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/auth"
	"lectern/internal/auth/password"
	"lectern/internal/auth/throttle"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// workBench is the identity service wired to see the work each call does:
// every argon2id computation (through the hasher's hook) and every SQL
// statement (through a counting connection pool).
type workBench struct {
	db    *database.DB
	svc   *auth.Service
	clock *testenv.Clock
	mu    sync.Mutex
	// derived lists the parameters of each argon2id computation so far.
	derived []password.Params
	peer    int
	// hashes are the stored hashes of the passwords account was given.
	hashes map[string]string
}

// newWorkBench builds the bench over db; opts adjust its hasher after
// the hook recording the computations (a hook among them replaces it).
func newWorkBench(t testing.TB, db *database.DB, opts ...password.Option) *workBench {
	t.Helper()
	w := &workBench{db: countingDB(t, db), clock: testenv.NewWallClock(), hashes: map[string]string{}}
	hasher, err := password.NewHasher(password.DefaultParams(), append([]password.Option{password.WithDeriveHook(func(p password.Params) {
		w.mu.Lock()
		w.derived = append(w.derived, p)
		w.mu.Unlock()
	})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	queue, err := jobs.New(w.db, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// River's first insert also asks the server for its version; make
	// that first insert here, not in the first path measured.
	err = w.db.Transact(context.Background(), func(tx *database.Tx) error {
		_, err := queue.InsertTx(context.Background(), tx, jobs.EmailArgs{Template: jobs.TemplateVerification}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	w.svc, err = auth.New(auth.Deps{DB: w.db, Queue: queue, Hasher: hasher, Limiter: throttle.New(w.db, w.clock.Now),
		Audit: audit.New(logger), Logger: logger, Now: w.clock.Now,
		Config: auth.Config{SessionIdle: time.Hour, SessionMaxAge: 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// work is what one call cost, and what its caller learnt.
type work struct {
	hashes     []password.Params
	statements []string
	jobs       int
	err        error
	// answer is what the caller reads: the error's code and user errors,
	// or a response body with IDs and times blanked.
	answer string
}

// measure runs fn as a request from a client no other request uses and
// returns the work it did.
func (w *workBench) measure(t testing.TB, fn func(ctx context.Context) error) work {
	t.Helper()
	w.mu.Lock()
	w.peer++
	addr := fmt.Sprintf("192.0.2.%d", w.peer)
	before := len(w.derived)
	w.mu.Unlock()
	jobsBefore := w.jobCount(t)

	ctx := viewer.WithClient(context.Background(), viewer.Client{Addr: addr, UserAgent: "lectern-test"})
	ctx, log := withSQLLog(ctx)
	err := fn(ctx)

	w.mu.Lock()
	hashes := slices.Clone(w.derived[before:])
	w.mu.Unlock()
	return work{hashes: hashes, statements: kinds(log), jobs: w.jobCount(t) - jobsBefore, err: err, answer: outcome(err)}
}

func (w *workBench) jobCount(t testing.TB) int {
	t.Helper()
	var n int
	if err := w.db.SQL.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM river_job`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// account stores a verified learner with password pw, hashed outside the
// bench so the hash does not count, and once per password.
func (w *workBench) account(t testing.TB, email, pw string) *ent.User {
	t.Helper()
	hash, ok := w.hashes[pw]
	if !ok {
		h, err := password.NewHasher(password.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		if hash, err = h.Hash(context.Background(), pw); err != nil {
			t.Fatal(err)
		}
		w.hashes[pw] = hash
	}
	return w.db.Ent.User.Create().SetEmail(email).SetDisplayName("Learner").SetRole(user.RoleLEARNER).
		SetPasswordHash(hash).SetEmailVerifiedAt(w.clock.Now()).SaveX(sys())
}

// kinds returns the statements recorded in log as kindOf sees them.
func kinds(log *sqlLog) []string {
	var out []string
	for _, q := range log.statements() {
		if q = kindOf(q); q != "" {
			out = append(out, q)
		}
	}
	return out
}

// kindOf is a statement as the comparison of two paths sees it: its text,
// with three exceptions. An audit record compares by table, since ent
// writes only the columns an event sets (an actor, a reason), and either
// way it is one row in one table. The two ways of ending a savepoint
// compare alike: RELEASE after an insert that succeeded, ROLLBACK TO after
// one the database refused. And River's notices to a queue ("" here) are
// dropped: it sends one per queue per fetch cooldown, from whichever insert
// comes first, so their presence depends on the time since the last job,
// not on the path.
func kindOf(q string) string {
	switch {
	case strings.Contains(q, "NotificationInsertMany"), strings.Contains(q, "PGNotifyMany"):
		return ""
	case strings.HasPrefix(q, "INSERT INTO `audit_events`"), strings.HasPrefix(q, `INSERT INTO "audit_events"`):
		return "INSERT INTO audit_events (…)"
	case strings.HasPrefix(q, "RELEASE SAVEPOINT "):
		return "end savepoint " + strings.TrimPrefix(q, "RELEASE SAVEPOINT ")
	case strings.HasPrefix(q, "ROLLBACK TO SAVEPOINT "):
		return "end savepoint " + strings.TrimPrefix(q, "ROLLBACK TO SAVEPOINT ")
	}
	return q
}

// disable marks u disabled.
func (w *workBench) disable(t testing.TB, u *ent.User) {
	t.Helper()
	if err := w.db.Ent.User.UpdateOne(u).SetDisabledAt(w.clock.Now()).Exec(sys()); err != nil {
		t.Fatal(err)
	}
}

// wantSameWork fails unless two calls did the same hashing and ran the
// same statements, in the same order, and queued as many jobs.
func wantSameWork(t *testing.T, what string, a, b work) {
	t.Helper()
	if !slices.Equal(a.hashes, b.hashes) {
		t.Errorf("%s: argon2id computations %+v vs %+v", what, a.hashes, b.hashes)
	}
	if !slices.Equal(a.statements, b.statements) {
		t.Errorf("%s: statements differ:\n%s\nvs\n%s", what, numbered(a.statements), numbered(b.statements))
	}
	if a.jobs != b.jobs {
		t.Errorf("%s: %d jobs queued vs %d", what, a.jobs, b.jobs)
	}
	if a.answer != b.answer {
		t.Errorf("%s: answers differ:\n%s\n%s", what, a.answer, b.answer)
	}
}

// outcome is what a caller learns from err: its code and user errors.
func outcome(err error) string {
	fields, _ := apperr.FieldsOf(err)
	return fmt.Sprint(apperr.CodeOf(err), fields)
}

func numbered(stmts []string) string {
	var s string
	for i, q := range stmts {
		s += fmt.Sprintf("  %2d %s\n", i+1, q)
	}
	return s
}

// TestSameWorkWhetherAccountExists is the timing side of
// TestAnswersDoNotRevealAccounts: what an attacker cannot read in an answer
// they must not be able to time either. Timings are too noisy to assert on;
// the work behind them is not. For each path pair it compares the argon2id
// computations (count and parameters), every SQL statement sent (text and
// order) and the jobs queued.
func TestSameWorkWhetherAccountExists(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		w := newWorkBench(t, testenv.Fresh(t, dialect))
		const pw = "the owner's passphrase"
		w.account(t, "known@example.com", pw)
		w.disable(t, w.account(t, "off@example.com", pw))
		if err := w.db.Ent.User.Create().SetEmail("nopassword@example.com").SetDisplayName("Synthetic").
			SetRole(user.RoleLEARNER).Exec(sys()); err != nil {
			t.Fatal(err)
		}

		t.Run("LogIn", func(t *testing.T) {
			logIn := func(email, pw string) work {
				return w.measure(t, func(ctx context.Context) error {
					_, err := w.svc.LogIn(ctx, auth.LogInInput{Email: email, Password: pw})
					return err
				})
			}
			unknown := logIn("nobody@example.com", "a guess")
			if len(unknown.hashes) != 1 || !strings.Contains(unknown.answer, string(apperr.UserInvalidCredentials)) {
				t.Fatalf("logIn of an unknown address: %d hashes, error %v", len(unknown.hashes), unknown.err)
			}
			wantSameWork(t, "unknown vs wrong password", unknown, logIn("known@example.com", "a guess"))
			wantSameWork(t, "unknown vs disabled", unknown, logIn("off@example.com", pw))
			wantSameWork(t, "unknown vs account without a password", unknown, logIn("nopassword@example.com", pw))
		})

		t.Run("SignUp", func(t *testing.T) {
			signUp := func(email string) work {
				return w.measure(t, func(ctx context.Context) error {
					_, err := w.svc.SignUp(ctx, auth.SignUpInput{Email: email, Password: "a new passphrase", DisplayName: "New"})
					return err
				})
			}
			free := signUp("newcomer@example.com")
			if len(free.hashes) != 1 || free.err != nil || free.jobs != 1 {
				t.Fatalf("signUp of a free address: %d hashes, %d jobs, error %v", len(free.hashes), free.jobs, free.err)
			}
			wantSameWork(t, "free vs taken", free, signUp("known@example.com"))
		})

		t.Run("RequestPasswordReset", func(t *testing.T) {
			reset := func(email string) work {
				return w.measure(t, func(ctx context.Context) error { return w.svc.RequestPasswordReset(ctx, email) })
			}
			known := reset("known@example.com")
			if known.err != nil || known.jobs != 1 {
				t.Fatalf("reset of a known address: %d jobs, error %v", known.jobs, known.err)
			}
			wantSameWork(t, "known vs unknown", known, reset("nobody@example.com"))
			wantSameWork(t, "known vs disabled", known, reset("off@example.com"))
		})

		t.Run("ThroughGraphQL", func(t *testing.T) { sameStatementsThroughGraphQL(t, w, pw) })
	})
}

// sameStatementsThroughGraphQL repeats the comparison for whole requests
// through the application's handler, resolvers and middleware included,
// where the hasher is out of reach but every statement is not.
func sameStatementsThroughGraphQL(t *testing.T, w *workBench, pw string) {
	h := harnessOn(t, w.db)
	post := func(doc string, vars map[string]any) work {
		ctx, log := withSQLLog(context.Background())
		b := h.browser()
		res := b.Do(t, b.Request(t, doc, vars).WithContext(ctx))
		return work{statements: kinds(log), answer: comparable(t, res.Raw)}
	}
	logIn := func(email, pw string) work {
		return post(logInDoc, map[string]any{"input": map[string]any{"email": email, "password": pw}})
	}
	signUp := func(email string) work {
		return post(signUpDoc, map[string]any{"input": map[string]any{"email": email, "password": "a new passphrase", "displayName": "New"}})
	}
	reset := func(email string) work { return post(requestResetDoc, map[string]any{"email": email}) }

	unknown := logIn("stranger@example.com", "a guess")
	if len(unknown.statements) == 0 {
		t.Fatal("no statements recorded for a logIn")
	}
	wantSameWork(t, "logIn unknown vs wrong password", unknown, logIn("known@example.com", "a guess"))
	wantSameWork(t, "logIn unknown vs disabled", unknown, logIn("off@example.com", pw))
	wantSameWork(t, "signUp free vs taken", signUp("another.newcomer@example.com"), signUp("known@example.com"))
	known := reset("known@example.com")
	wantSameWork(t, "requestPasswordReset known vs unknown", known, reset("stranger@example.com"))
	wantSameWork(t, "requestPasswordReset known vs disabled", known, reset("off@example.com"))
}
