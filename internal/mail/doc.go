// Package mail builds and delivers Lectern's transactional email: account
// verification, password resets and security notices.
//
// The pieces are separate so background jobs can stay simple and retry safely:
//
//   - Renderer turns an account event into a Message (text and HTML parts from
//     embedded templates).
//   - Message.Bytes turns a Message into an RFC 5322 byte stream. The caller
//     chooses the Date and Message-ID, so a retried job sends the same
//     message rather than a new one.
//   - A Sender delivers the bytes: FileSender drops .eml files into a
//     directory for development, SMTPSender talks to a mail server.
//
// IsPermanent tells a job whether a failure is worth retrying.
package mail
