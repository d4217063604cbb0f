package audit

// Actions, spelled as dotted lower-case words. They are stored and
// searched on, so an action is never renamed; add new ones instead.
const (
	SignUp                  = "signup"
	EmailVerify             = "email.verify"
	LoginSuccess            = "login.success"
	LoginFailure            = "login.failure"
	LoginMFARequired        = "login.mfa_required"
	MFAFailure              = "mfa.failure"
	MFAEnable               = "mfa.enable"
	MFADisable              = "mfa.disable"
	RecoveryCodesRegenerate = "mfa.recovery_codes"
	RecoveryCodeUse         = "mfa.recovery_code_used"
	PasswordChange          = "password.change"
	PasswordResetRequest    = "password.reset_request"
	PasswordReset           = "password.reset"
	EmailChangeRequest      = "email.change_request"
	EmailChange             = "email.change"
	TokenCreate             = "token.create"
	TokenRevoke             = "token.revoke"
	SessionRevoke           = "session.revoke"
	Logout                  = "logout"
	Throttled               = "throttle.block"
	UserCreate              = "user.create"
	EmailVerifyRequest      = "email.verify_request"
	UserRoleChange          = "user.role_change"
	UserDisable             = "user.disable"
	ReviewModerate          = "review.moderate"
	CoursePublish           = "course.publish"
	CourseArchive           = "course.archive"
	CourseMemberAdd         = "course.member_add"
	CourseMemberRemove      = "course.member_remove"
	// JobRetry and JobCancel are an administrator's retryJob and cancelJob
	// (target Job, details kind and the state it was in).
	JobRetry  = "job.retry"
	JobCancel = "job.cancel"
	// CounterRepair is the counter reconciliation correcting a stored
	// counter (target Course or Enrollment, details counter, stored and
	// recounted, and course for an enrolment); the system acts, no user.
	CounterRepair = "counter.repair"
)

// AllowedDetails lists the only keys Event.Details may use. Treat it as
// read-only: widening it is a decision about what the audit trail may hold,
// made here in code review, not at run time.
var AllowedDetails = []string{"reason", "transport", "scopes", "rule", "name", "method", "count", "role", "user", "course",
	"kind", "state", "counter", "stored", "recounted"}

// maxDetailLen is the longest detail value accepted, in runes: enough for
// a reason or a scope list, too short to smuggle a document in.
const maxDetailLen = 200
