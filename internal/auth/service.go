package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/user"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/auth/password"
	"lectern/internal/auth/throttle"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/sealed"
	"lectern/internal/viewer"
)

// Config holds the identity settings that operators tune.
type Config struct {
	// SessionIdle ends a session after this long without a request;
	// SessionMaxAge ends it this long after sign-in whatever the activity.
	SessionIdle   time.Duration
	SessionMaxAge time.Duration
	// Issuer names Lectern in authenticator apps.
	Issuer string
}

// Lifetimes of single-use secrets. Short enough that a leaked link or a
// half-finished sign-in is soon worthless, long enough for a person to
// find the email or the phone.
const (
	verificationTTL = 24 * time.Hour
	resetTTL        = time.Hour
	challengeTTL    = 5 * time.Minute
	// challengeAttempts bounds wrong codes against one MFA challenge; the
	// per-account limit bounds them across challenges.
	challengeAttempts = 5
	// recoveryCodeCount is how many recovery codes MFA enrolment issues.
	recoveryCodeCount = 10
	// touchEvery is how stale last-seen times may get before a request
	// writes them again: the idle timeout needs minutes, not every request.
	touchEvery = time.Minute
	// maxAPITokens bounds the tokens one account may hold.
	maxAPITokens = 50
)

// Throttle rules. Failed sign-ins are limited tightly per account and
// client address (one client guessing one account's password), loosely per
// account wherever the guesses come from (a guessing campaign spread over
// many addresses), and per client address (spraying many accounts from one
// place, while a campus behind one NAT still works). The tight limit being
// per client, an attacker who uses it up locks out only their own
// addresses, never the owner signing in from elsewhere. MFA codes, which
// only someone who knew the password can try, are limited per account and
// per address. Every attempt at sign-up, verification and reset counts, as
// each can send email or test a token.
var (
	loginPerAccountAddr = throttle.Rule{Name: "login.account_addr", Limit: 10, Window: 15 * time.Minute}
	loginPerAccount     = throttle.Rule{Name: "login.account", Limit: 100, Window: time.Hour}
	loginPerAddr        = throttle.Rule{Name: "login.addr", Limit: 50, Window: 15 * time.Minute}
	mfaPerAccount       = throttle.Rule{Name: "mfa.account", Limit: 10, Window: 15 * time.Minute}
	mfaPerAddr          = throttle.Rule{Name: "mfa.addr", Limit: 50, Window: 15 * time.Minute}
	signUpPerAddr       = throttle.Rule{Name: "signup.addr", Limit: 20, Window: time.Hour}
	signUpPerAccount    = throttle.Rule{Name: "signup.account", Limit: 5, Window: time.Hour}
	resetPerAccount     = throttle.Rule{Name: "reset.account", Limit: 5, Window: time.Hour}
	resetPerAddr        = throttle.Rule{Name: "reset.addr", Limit: 20, Window: time.Hour}
	tokenPerAddr        = throttle.Rule{Name: "emailtoken.addr", Limit: 30, Window: time.Hour}
	verifyPerAccount    = throttle.Rule{Name: "verify.account", Limit: 5, Window: time.Hour}
	verifyPerAddr       = throttle.Rule{Name: "verify.addr", Limit: 20, Window: time.Hour}
)

// Service is the identity service. It is safe for concurrent use.
type Service struct {
	db      *database.DB
	queue   *jobs.Queue
	hasher  *password.Hasher
	limiter *throttle.Limiter
	audit   *audit.Log
	logger  *slog.Logger
	cfg     Config
	now     func() time.Time

	// sys sees every row: the identity service decides who is calling, so
	// it reads accounts and credentials no caller may list.
	sys *ent.Client

	totpKeys *sealed.Keyring

	sessionSQL string // sessionByTokenSQL in the database's dialect
}

// Deps are the Service's collaborators. Now defaults to time.Now.
type Deps struct {
	DB      *database.DB
	Queue   *jobs.Queue
	Hasher  *password.Hasher
	Limiter *throttle.Limiter
	Audit   *audit.Log
	Logger  *slog.Logger
	Config  Config
	Now     func() time.Time

	// TOTPKeys seal TOTP secrets in the database. Without them, enrolling
	// in and signing in with TOTP fail (INTERNAL); nothing else needs them.
	TOTPKeys *sealed.Keyring
}

// New returns a Service. It fails when a dependency is missing or the
// session timeouts are not positive with idle ≤ max age.
func New(d Deps) (*Service, error) {
	switch {
	case d.DB == nil || d.Queue == nil || d.Hasher == nil || d.Limiter == nil || d.Audit == nil || d.Logger == nil:
		return nil, errors.New("auth: missing dependency")
	case d.Config.SessionIdle <= 0 || d.Config.SessionMaxAge <= 0 || d.Config.SessionIdle > d.Config.SessionMaxAge:
		return nil, errors.New("auth: session timeouts must be positive, idle at most max age")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Config.Issuer == "" {
		d.Config.Issuer = "Lectern"
	}
	return &Service{db: d.DB, sys: d.DB.System(), queue: d.Queue, hasher: d.Hasher, limiter: d.Limiter, audit: d.Audit,
		logger: d.Logger, cfg: d.Config, now: d.Now, totpKeys: d.TOTPKeys, sessionSQL: d.DB.Spell(sessionByTokenSQL)}, nil
}

func (s *Service) clock() time.Time { return s.now().UTC() }

// loadUser reads the caller's own account row.
func (s *Service) loadUser(ctx context.Context, id uuid.UUID) (*ent.User, error) {
	u, err := s.sys.User.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.Unauthenticated, "sign in to do this")
	}
	if err != nil {
		return nil, fmt.Errorf("load account: %w", err)
	}
	return u, nil
}

// userByEmail returns the account registered under a normalised address,
// or nil.
func (s *Service) userByEmail(ctx context.Context, email string) (*ent.User, error) {
	u, err := s.sys.User.Query().Where(user.Email(email)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	}
	return u, nil
}

// NormalizeEmail returns the address as Lectern stores it: trimmed and
// lowercased. Mailbox names are case-sensitive in theory and never in
// practice; treating them as such would let two accounts share a mailbox.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// checkEmail returns a user error for an address Lectern cannot use: one
// mail.ParseAddress would not read back as itself, without a dot in its
// domain, or longer than 254 characters.
func checkEmail(email string, field ...string) *apperr.FieldError {
	bad := &apperr.FieldError{Code: apperr.UserInvalidEmail, Field: field, Message: "enter a valid email address"}
	if email == "" {
		return &apperr.FieldError{Code: apperr.UserRequired, Field: field, Message: "enter your email address"}
	}
	if utf8.RuneCountInString(email) > 254 {
		return bad
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email {
		return bad
	}
	at := strings.LastIndexByte(email, '@')
	if at < 1 || !strings.Contains(email[at+1:], ".") || strings.HasSuffix(email, ".") {
		return bad
	}
	return nil
}

// checkPassword maps the password policy's problems to user errors.
func checkPassword(pw, email string, field ...string) []apperr.FieldError {
	var out []apperr.FieldError
	for _, p := range password.Check(pw, email) {
		fe := apperr.FieldError{Code: apperr.UserCode(p), Field: field}
		switch p {
		case password.TooShort:
			fe.Message = fmt.Sprintf("use at least %d characters", password.MinLength)
		case password.TooLong:
			fe.Message = fmt.Sprintf("use at most %d characters", password.MaxLength)
		case password.Common:
			fe.Message = "this password is too common; choose one that is harder to guess"
		case password.SameAsEmail:
			fe.Message = "the password must not be your email address"
		default:
			fe.Code, fe.Message = apperr.UserInvalid, "choose a different password"
		}
		out = append(out, fe)
	}
	return out
}

// checkText trims s and checks its length in characters.
func checkText(s string, maxLen int, field ...string) (string, *apperr.FieldError) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return s, &apperr.FieldError{Code: apperr.UserRequired, Field: field, Message: "this field is required"}
	case n > maxLen:
		return s, &apperr.FieldError{Code: apperr.UserTooLong, Field: field, Message: fmt.Sprintf("use at most %d characters", maxLen)}
	}
	return s, nil
}

// invalid collects user errors; nil when there are none.
func invalid(errs []apperr.FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	return apperr.Invalid(errs...)
}

// enqueue adds an email job in tx, so it is sent exactly when tx commits.
func (s *Service) enqueue(ctx context.Context, tx *database.Tx, args jobs.EmailArgs) error {
	if args.At.IsZero() {
		args.At = s.clock()
	}
	_, err := s.queue.InsertTx(ctx, tx, args, nil)
	return err
}

// record writes an audit event through client; failures to audit fail the
// operation, since an unrecorded security event is worse than a retry.
func (s *Service) record(ctx context.Context, client *ent.Client, e audit.Event) error {
	if err := s.audit.Record(ctx, client, e); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// recordAside writes an audit event that must survive the operation
// failing (a wrong password, a throttled attempt).
func (s *Service) recordAside(ctx context.Context, e audit.Event) {
	if err := s.audit.Record(context.WithoutCancel(ctx), s.db.Ent, e); err != nil {
		s.logger.ErrorContext(ctx, "audit failed", slog.String("action", e.Action), slog.String("error", err.Error()))
	}
}

// hit counts an attempt under every rule given (rule, subject pairs). If
// any rule is already at its limit the attempt is refused (and audited)
// without being counted anywhere: otherwise a client stopped by its own
// address limit could go on filling other accounts' counters and lock
// their owners out.
func (s *Service) hit(ctx context.Context, actor uuid.UUID, checks ...check) error {
	for _, c := range checks {
		if err := s.limiter.Blocked(ctx, c.rule, c.subject); err != nil {
			s.throttled(ctx, actor, c, err)
			return err
		}
	}
	for _, c := range checks {
		if err := s.limiter.Hit(ctx, c.rule, c.subject); err != nil {
			s.throttled(ctx, actor, c, err)
			return err
		}
	}
	return nil
}

func (s *Service) throttled(ctx context.Context, actor uuid.UUID, c check, err error) {
	if apperr.CodeOf(err) == apperr.RateLimited {
		s.recordAside(ctx, audit.Event{Action: audit.Throttled, ActorID: actor,
			Details: map[string]string{"rule": c.rule.Name}})
	}
}

// undo takes back attempts that turned out legitimate.
func (s *Service) undo(ctx context.Context, checks ...check) {
	for _, c := range checks {
		if err := s.limiter.Undo(ctx, c.rule, c.subject); err != nil {
			s.logger.WarnContext(ctx, "throttle undo failed", slog.String("rule", c.rule.Name), slog.String("error", err.Error()))
		}
	}
}

// clear forgets the attempts counted under checks. Failing to does not
// fail the operation that made them moot.
func (s *Service) clear(ctx context.Context, checks ...check) {
	for _, c := range checks {
		if err := s.limiter.Clear(ctx, c.rule, c.subject); err != nil {
			s.logger.WarnContext(ctx, "throttle clear failed", slog.String("rule", c.rule.Name), slog.String("error", err.Error()))
		}
	}
}

type check struct {
	rule    throttle.Rule
	subject string
}

// passwordChecks are the limits a password guess at the account under
// email, from the request's client, counts against.
func passwordChecks(ctx context.Context, email string) []check {
	addr := clientAddr(ctx)
	return []check{{loginPerAccountAddr, fromClient(email, addr)}, {loginPerAccount, email}, {loginPerAddr, addr}}
}

// fromClient is the subject for a limit on one account from one client
// address. The address's length comes first, so no two pairs can spell the
// same subject, whatever an attacker puts in the email.
func fromClient(email, addr string) string {
	return strconv.Itoa(len(addr)) + ":" + addr + " " + email
}

// clientAddr is the throttling subject for the request's client: its IPv4
// address, or the /64 of an IPv6 one, since a single subscriber commonly
// holds a whole /64 and could otherwise rotate through it.
func clientAddr(ctx context.Context) string {
	raw := viewer.ClientFrom(ctx).Addr
	a, err := netip.ParseAddr(raw)
	if err != nil || !a.Is6() || a.Is4In6() {
		return raw
	}
	p, err := a.Prefix(64)
	if err != nil {
		return raw
	}
	return p.String()
}
