package mail

import (
	"context"
	"errors"
	"fmt"
)

// Sender delivers one finished message (as produced by Message.Bytes) to the
// envelope recipients to, with from as the envelope sender. Envelope
// addresses are bare, like those Message.Envelope returns; from may be
// empty only where the transport allows a null sender.
//
// Implementations return nil only once the message has been handed off
// (accepted by the server, or written to disk). Use IsPermanent on the error
// to decide whether to retry.
type Sender interface {
	Send(ctx context.Context, msg []byte, from string, to []string) error
}

// Both senders must stay interchangeable: dev uses one, production the
// other, behind the same job code.
var (
	_ Sender = (*FileSender)(nil)
	_ Sender = (*SMTPSender)(nil)
)

// ErrInvalid is wrapped by every error caused by the message or envelope
// itself rather than by delivery. Sending the same input again will fail the
// same way, so IsPermanent reports true for it.
var ErrInvalid = errors.New("invalid message")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("mail: %w: %w", ErrInvalid, fmt.Errorf(format, args...))
}

// SMTPError is a reply from the mail server that ended the delivery.
type SMTPError struct {
	// Code is the three-digit reply code, e.g. 550.
	Code int
	// Message is the server's text, with the configured password removed.
	Message string
}

// Error returns the code and the server's text.
func (e *SMTPError) Error() string {
	return fmt.Sprintf("%d %s", e.Code, e.Message)
}

// Permanent reports whether the server refused for good (a 5xx reply), as
// opposed to asking to try again later (4xx).
func (e *SMTPError) Permanent() bool {
	return e.Code >= 500 && e.Code <= 599
}

// IsPermanent reports whether retrying the delivery that returned err is
// pointless: the server gave a 5xx reply (unknown mailbox, policy refusal,
// but also failed authentication, which needs an operator), or the message
// or envelope is invalid (ErrInvalid). Everything else (4xx replies, network
// and TLS failures, timeouts, cancellation, disk errors) is transient and
// IsPermanent returns false, as it does for nil.
func IsPermanent(err error) bool {
	if se, ok := errors.AsType[*SMTPError](err); ok {
		return se.Permanent()
	}
	return errors.Is(err, ErrInvalid)
}

// checkEnvelope refuses what an SMTP server would misread: line breaks
// (command injection) and anything that is not a single bare address.
func checkEnvelope(from string, to []string) error {
	if from != "" {
		if err := checkBareAddress("envelope sender", from); err != nil {
			return err
		}
	}
	if len(to) == 0 {
		return invalidf("no envelope recipients")
	}
	for _, rcpt := range to {
		if err := checkBareAddress("envelope recipient", rcpt); err != nil {
			return err
		}
	}
	return nil
}

func checkBareAddress(name, addr string) error {
	a, err := parseAddress(name, addr)
	if err != nil {
		return err
	}
	if a.Name != "" || a.Address != addr {
		return invalidf("%s %q is not a bare address", name, addr)
	}
	return nil
}
