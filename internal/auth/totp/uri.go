package totp

import (
	"net/url"
	"strconv"
	"strings"
)

// URI returns the otpauth:// key URI an authenticator app reads from a QR
// code, in the Google Authenticator Key Uri Format:
//
//	otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30
//
// With an empty issuer the label is the account alone and the issuer
// parameter is left out. It does not check secret.
func URI(secret, issuer, account string) string {
	label := escapeLabel(account)
	params := "secret=" + escapeParam(secret)
	if issuer != "" {
		label = escapeLabel(issuer) + ":" + label
		params += "&issuer=" + escapeParam(issuer)
	}
	return "otpauth://totp/" + label + "?" + params +
		"&algorithm=SHA1&digits=" + strconv.Itoa(digits) + "&period=" + strconv.Itoa(period)
}

// escapeLabel path-escapes one half of the label, and also escapes ':' so
// that a colon inside the issuer or account cannot move the split between
// them, and '+' because some apps decode the label as a form and would show
// a literal plus as a space.
func escapeLabel(s string) string {
	return strings.NewReplacer(":", "%3A", "+", "%2B").Replace(url.PathEscape(s))
}

// escapeParam query-escapes s but writes a space as %20: Google
// Authenticator and others show a '+' in the issuer literally rather than
// as a space. QueryEscape has already turned every literal '+' into %2B, so
// any '+' left stands for a space.
func escapeParam(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
