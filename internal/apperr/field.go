package apperr

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

// UserCode is a stable code for a user-correctable problem reported in a
// mutation payload's userErrors (the schema enum UserErrorCode). Like Code
// it is API: append new ones, never rename, reuse or remove one.
type UserCode string

// The user error catalogue. Append only; a test keeps the schema enum and
// this list equal.
const (
	// UserInvalid: the value is malformed or out of bounds; the message
	// says which rule it breaks.
	UserInvalid UserCode = "INVALID"
	// UserRequired: the value is missing or blank.
	UserRequired UserCode = "REQUIRED"
	// UserTooLong: the value is longer than allowed.
	UserTooLong UserCode = "TOO_LONG"
	// UserInvalidEmail: not a usable email address.
	UserInvalidEmail UserCode = "INVALID_EMAIL"
	// Password rules (internal/auth/password).
	UserPasswordTooShort    UserCode = "PASSWORD_TOO_SHORT"
	UserPasswordTooLong     UserCode = "PASSWORD_TOO_LONG"
	UserPasswordTooCommon   UserCode = "PASSWORD_TOO_COMMON"
	UserPasswordEqualsEmail UserCode = "PASSWORD_EQUALS_EMAIL"
	// UserInvalidCredentials: the email and password do not match an
	// account that may sign in (the same answer whichever part was wrong).
	UserInvalidCredentials UserCode = "INVALID_CREDENTIALS"
	// UserInvalidToken: an emailed token or MFA challenge is unknown,
	// expired or already used.
	UserInvalidToken UserCode = "INVALID_TOKEN"
	// UserInvalidCode: a TOTP or recovery code is wrong or already used.
	UserInvalidCode UserCode = "INVALID_CODE"
	// UserMFAAlreadyEnabled: MFA is already on for the account.
	UserMFAAlreadyEnabled UserCode = "MFA_ALREADY_ENABLED"
	// UserMFANotEnabled: the operation needs MFA to be on.
	UserMFANotEnabled UserCode = "MFA_NOT_ENABLED"
	// UserMFAEnrollmentNotStarted: confirmTotpEnrollment without a pending
	// startTotpEnrollment.
	UserMFAEnrollmentNotStarted UserCode = "MFA_ENROLLMENT_NOT_STARTED"
	// UserNameTaken: the name is already used by another of the caller's
	// objects (an API token name).
	UserNameTaken UserCode = "NAME_TAKEN"
	// UserNotFound: the ID names nothing the caller may act on.
	UserNotFound UserCode = "NOT_FOUND"
	// UserSameAsCurrent: the new value equals the current one.
	UserSameAsCurrent UserCode = "SAME_AS_CURRENT"
	// UserEmailAlreadyVerified: the address is verified already.
	UserEmailAlreadyVerified UserCode = "EMAIL_ALREADY_VERIFIED"
	// UserEmailNotVerified: the operation needs a verified address.
	UserEmailNotVerified UserCode = "EMAIL_NOT_VERIFIED"
	// UserNotPublished: the course or lesson is not published.
	UserNotPublished UserCode = "NOT_PUBLISHED"
	// UserNotEnrolled: the operation needs an active enrolment.
	UserNotEnrolled UserCode = "NOT_ENROLLED"
	// UserOwnCourse: the caller is on the course's staff, which excludes
	// enrolling in and reviewing it.
	UserOwnCourse UserCode = "OWN_COURSE"
	// UserAlreadyReviewed: one review per learner and course.
	UserAlreadyReviewed UserCode = "ALREADY_REVIEWED"
	// UserConflict: the object changed since the caller read it
	// (expectedVersion is stale).
	UserConflict UserCode = "CONFLICT"
	// UserSlugTaken: another object uses this slug.
	UserSlugTaken UserCode = "SLUG_TAKEN"
	// UserNotPublishable: the course misses what publishing requires.
	UserNotPublishable UserCode = "NOT_PUBLISHABLE"
	// UserLearnerOfCourse: the user is enrolled in or has reviewed the
	// course, so cannot join its staff.
	UserLearnerOfCourse UserCode = "LEARNER_OF_COURSE"
	// UserContentTypeNotAllowed: the upload's purpose does not take files
	// of this type.
	UserContentTypeNotAllowed UserCode = "CONTENT_TYPE_NOT_ALLOWED"
	// UserTooLarge: the file is larger than its purpose allows.
	UserTooLarge UserCode = "TOO_LARGE"
	// UserNotUploaded: completeUpload found no file yet; PUT it first.
	UserNotUploaded UserCode = "NOT_UPLOADED"
	// UserWrongPurpose: the upload was made for another purpose.
	UserWrongPurpose UserCode = "WRONG_PURPOSE"
	// UserUploadNotUsable: the upload is not completed, or was rejected or
	// failed processing.
	UserUploadNotUsable UserCode = "UPLOAD_NOT_USABLE"
	// UserAlreadyAttached: the upload is already in use somewhere.
	UserAlreadyAttached UserCode = "ALREADY_ATTACHED"
	// UserJobNotRetryable: the job is waiting to run or running; only a
	// job that ended (completed, cancelled, discarded) or waits to retry
	// can be run again now.
	UserJobNotRetryable UserCode = "JOB_NOT_RETRYABLE"
	// UserJobFinalized: the job already ended and cannot be cancelled.
	UserJobFinalized UserCode = "JOB_FINALIZED"
)

// UserCodes lists the catalogue in order.
var UserCodes = []UserCode{
	UserInvalid, UserRequired, UserTooLong, UserInvalidEmail,
	UserPasswordTooShort, UserPasswordTooLong, UserPasswordTooCommon, UserPasswordEqualsEmail,
	UserInvalidCredentials, UserInvalidToken, UserInvalidCode,
	UserMFAAlreadyEnabled, UserMFANotEnabled, UserMFAEnrollmentNotStarted,
	UserNameTaken, UserNotFound, UserSameAsCurrent, UserEmailAlreadyVerified,
	UserEmailNotVerified, UserNotPublished, UserNotEnrolled, UserOwnCourse, UserAlreadyReviewed,
	UserConflict, UserSlugTaken, UserNotPublishable, UserLearnerOfCourse,
	UserContentTypeNotAllowed, UserTooLarge, UserNotUploaded, UserWrongPurpose, UserUploadNotUsable,
	UserAlreadyAttached, UserJobNotRetryable, UserJobFinalized,
}

// MarshalGQL writes the code as a GraphQL enum value.
func (c UserCode) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL reads a GraphQL enum value.
func (c *UserCode) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("UserErrorCode must be a string, got %T", v)
	}
	*c = UserCode(s)
	return nil
}

// FieldError is one user-correctable problem. Field is the path of the
// input field at fault from the mutation's arguments (["input", "email"]),
// or nil when the problem is not one field's.
type FieldError struct {
	Code    UserCode
	Field   []string
	Message string
}

// Invalid returns a BAD_USER_INPUT error carrying the problems found.
func Invalid(fields ...FieldError) *Error {
	msg := "the input is invalid"
	if len(fields) > 0 {
		msg = fields[0].Message
	}
	return &Error{Code: BadUserInput, Message: msg, Fields: fields}
}

// Problem returns an Invalid error with a single problem.
func Problem(code UserCode, message string, field ...string) *Error {
	return Invalid(FieldError{Code: code, Field: field, Message: message})
}

// FieldsOf returns the problems carried by err when it is an Invalid error;
// ok is false for any other error (including nil).
func FieldsOf(err error) (fields []FieldError, ok bool) {
	if e, is := errors.AsType[*Error](err); is && len(e.Fields) > 0 {
		return e.Fields, true
	}
	return nil, false
}
